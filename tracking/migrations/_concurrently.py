"""Index operations for the statement store, which a live site writes to while it migrates: on PostgreSQL
they build and drop concurrently (the table stays writable), elsewhere plainly. A migration using them sets
`atomic = False`, since PostgreSQL builds concurrently only outside a transaction; so a run can stop half
way, and each operation picks up from there when the migration runs again: an index already built is kept,
one that a failed concurrent build left INVALID is built again, one already dropped is passed over.

(Not django.contrib.postgres's AddIndexConcurrently: it issues CONCURRENTLY on every database, and SQLite
is the demo's.)"""

from django.db import migrations


def _concurrently(schema_editor) -> dict:
    return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}


def _state(schema_editor, table: str, name: str) -> str:
    """"valid", "invalid" (a concurrent build that failed) or "absent". When `sqlmigrate` only collects the
    SQL, the database may be at any migration: the SQL is then what a first run does."""
    if schema_editor.collect_sql:
        return "absent"
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if name not in connection.introspection.get_constraints(cursor, table):
            return "absent"
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = %s::regclass", [name])
            if not cursor.fetchone()[0]:
                return "invalid"
    return "valid"


def _add(schema_editor, model, index) -> None:
    state = _state(schema_editor, model._meta.db_table, index.name)
    if state == "invalid":
        schema_editor.remove_index(model, index, **_concurrently(schema_editor))
    if state != "valid":
        schema_editor.add_index(model, index, **_concurrently(schema_editor))


def _remove(schema_editor, model, index) -> None:
    if schema_editor.collect_sql or _state(schema_editor, model._meta.db_table, index.name) != "absent":
        schema_editor.remove_index(model, index, **_concurrently(schema_editor))


class AddIndexConcurrently(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            _add(schema_editor, model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            _remove(schema_editor, model, self.index)


class RemoveIndexConcurrently(migrations.RemoveIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = from_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            _remove(schema_editor, model, index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            _add(schema_editor, model, index)
