"""Tasks: follow-ups and reminders tied to an investor (and optionally one of its people), owned by
a team member, due on a day, ticked done. Made by people (the Tasks screen, the investor panel,
the grid's row menu), by the Matrix intake bot (`follow up in 3 days`) and by automation rules
(the `create_task` action). `service` is `app.tasks`; `routes` the HTTP handlers."""
