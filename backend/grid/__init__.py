"""The fundraising grid: investors x typed columns (funds among them), stored relationally and
served from an in-memory cache; column types, views and the view engine, formulas, automations,
live collaboration, CSV import and export, and the sample grid."""
