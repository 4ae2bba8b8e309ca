"""HTTP handlers for backups, restore, the backup policy, reset-all-data and the admin archive."""
from __future__ import annotations

from ..errors import BadRequest
from ..routing import ADMIN, USER, Reply, Request, Route, created, ok
from ..validation import Field
from . import store

ID_BODY = {"id": Field(required=True, min_length=1, max_length=64)}


def create_backup(req: Request) -> Reply:
    """Take a whole-database backup now."""
    return created(req.app.backups.create("manual", req.principal, (req.data or {}).get("note")))


def list_backups(req: Request) -> Reply:
    """Backups, newest first, with their verification results."""
    return ok(req.app.backups.list())


def verify_backup(req: Request) -> Reply:
    """Re-hash, integrity-check and open a backup; the result is kept on it."""
    return ok(req.app.backups.verify(req.data["id"]))


def restore_preview(req: Request) -> Reply:
    """What restoring a backup would change (per table, and investors gained, lost, changed)."""
    return ok(req.app.backups.preview(req.data["id"], req.principal.id))


def restore_backup(req: Request) -> Reply:
    """Restore a backup (a pre-restore backup is taken first)."""
    return ok(req.app.restore(req.data["id"], req.principal))


def get_backup_policy(req: Request) -> Reply:
    """The automatic backup policy."""
    return ok(req.app.backups.policy())


def update_backup_policy(req: Request) -> Reply:
    """Change the automatic backup policy (enabled, hour UTC, keep_daily, keep_weekly)."""
    if not req.data:
        raise BadRequest("nothing to change: send enabled, hour, keep_daily or keep_weekly")
    return ok(req.app.backups.set_policy(req.principal, req.data))


def download_backup(req: Request) -> Reply:
    """A backup file, for safekeeping off the box."""
    path = req.app.backups.file_path(req.params["id"])
    return Reply(200, path.read_bytes(), content_type="application/vnd.sqlite3", headers={
        "Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="venture-crm-{req.params["id"]}.db"'})


def upload_backup(req: Request) -> Reply:
    """Upload a backup file (checked before it is kept); restore it like any other."""
    return created(req.app.backups.upload(req.body, req.principal))


def reset_all_data(req: Request) -> Reply:
    """Archive every investor, custom column and view after taking a backup (needs the phrase)."""
    return ok(store.reset_all_data(req.app.backups, req.app.grid, req.principal, req.data["confirm"]))


def archive_list(req: Request) -> Reply:
    """Everything archived (investors, columns, views, rules, people), for restoring."""
    return ok(req.app.grid.archived())


ROUTES: list[Route] = [
    Route("POST", "/api/fundraising/backup", create_backup, USER, tag="backups",
          body={"note": Field(max_length=500, nullable=True)}),
    Route("GET", "/api/fundraising/backups", list_backups, USER, tag="backups"),
    Route("POST", "/api/fundraising/backup-verify", verify_backup, USER, tag="backups", body=ID_BODY),
    Route("POST", "/api/fundraising/restore-preview", restore_preview, ADMIN, tag="backups", body=ID_BODY),
    Route("POST", "/api/fundraising/restore", restore_backup, ADMIN, tag="backups", body=ID_BODY),
    Route("GET", "/api/fundraising/backup-policy", get_backup_policy, USER, tag="backups"),
    Route("PATCH", "/api/fundraising/backup-policy", update_backup_policy, ADMIN, tag="backups",
          body={"enabled": Field("boolean"), "hour": Field("integer"), "keep_daily": Field("integer"),
                "keep_weekly": Field("integer")}),
    Route("GET", "/api/fundraising/backups/{id}/download", download_backup, ADMIN, tag="backups"),
    Route("POST", "/api/fundraising/backups/upload", upload_backup, ADMIN, tag="backups", file="database"),
    Route("POST", "/api/admin/reset-all-data", reset_all_data, ADMIN, tag="backups",
          body={"confirm": Field(required=True)}),
    Route("GET", "/api/admin/archive", archive_list, ADMIN, tag="backups"),
]
