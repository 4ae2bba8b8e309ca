"""The dashboard (`app.dashboard`): where the raise stands, read from the published grid and the
activity tables. Committed per fund against each target (the graveyard list excluded), the
pipeline's weighted value by stage, investors by list and status, the team's activity by week and
member, the busiest investors of the last 30 days, relationship strength, overdue tasks; each
figure also as CSV. Reads only; archived investors and archived columns never count.
"""
