"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 20:47:35.176639
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Full-text search over name, AKA, address, school and UPN (external content:
# the text lives once, in ``cases``; triggers keep the index in step).
_COLUMNS = "full_name, aka, last_known_address, school, upn"
SEARCH_INDEX = (
    f"""CREATE VIRTUAL TABLE case_search USING fts5(
        {_COLUMNS}, content='cases', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2", prefix='2 3')""",
    f"""CREATE TRIGGER cases_ai AFTER INSERT ON cases BEGIN
        INSERT INTO case_search(rowid, {_COLUMNS})
        VALUES (new.id, new.full_name, new.aka, new.last_known_address, new.school, new.upn);
    END""",
    f"""CREATE TRIGGER cases_ad AFTER DELETE ON cases BEGIN
        INSERT INTO case_search(case_search, rowid, {_COLUMNS})
        VALUES ('delete', old.id, old.full_name, old.aka, old.last_known_address, old.school,
                old.upn);
    END""",
    f"""CREATE TRIGGER cases_au AFTER UPDATE OF {_COLUMNS} ON cases BEGIN
        INSERT INTO case_search(case_search, rowid, {_COLUMNS})
        VALUES ('delete', old.id, old.full_name, old.aka, old.last_known_address, old.school,
                old.upn);
        INSERT INTO case_search(rowid, {_COLUMNS})
        VALUES (new.id, new.full_name, new.aka, new.last_known_address, new.school, new.upn);
    END""",
)

# On PostgreSQL (a shared server, services.server) the same search is an expression
# index: the words of the same five columns, lower-cased, accents taken off and split
# at anything but a letter or digit as FTS5's unicode61 tokenizer does, with the
# address's words marked (weight B) so that a postcode is looked up in it alone. No
# column and no trigger: the index follows every change by itself.
PG_NOCASE = (
    # SQLite's NOCASE: equal and ordered regardless of case, accents still count.
    """CREATE COLLATION IF NOT EXISTS "NOCASE" (provider = icu,
        locale = 'und-u-ks-level2', deterministic = false)"""
)
PG_SEARCH = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() with its dictionary named is immutable, as an index needs. The two
    # functions the index calls keep the schema they were made in (SET search_path FROM
    # CURRENT): pg_restore rebuilds the index with an empty search path.
    """CREATE FUNCTION cme_words(t text) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path FROM CURRENT AS $$
        SELECT coalesce(array_agg(w ORDER BY n), '{}')
        FROM regexp_split_to_table(
            lower(unaccent('unaccent'::regdictionary, coalesce(t, '')) COLLATE "und-x-icu"),
            '[^[:alnum:]]+') WITH ORDINALITY AS s(w, n)
        WHERE w <> '' $$""",
    """CREATE FUNCTION cme_search_vector(
            full_name text, aka text, address text, school text, upn text)
        RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path FROM CURRENT AS $$
        SELECT coalesce(string_agg(
            quote_literal(w) || ':' || least(p, 16383) || CASE WHEN c = 3 THEN 'B' ELSE 'A' END,
            ' '), '')::tsvector
        FROM (SELECT w, c, row_number() OVER (ORDER BY c, k) AS p
              FROM unnest(ARRAY[full_name, aka, address, school, upn])
                   WITH ORDINALITY AS col(t, c),
                   unnest(cme_words(t)) WITH ORDINALITY AS word(w, k)) AS words $$""",
    # Every word typed, as a prefix (FTS5's "word"*).
    """CREATE FUNCTION cme_prefix_query(typed text) RETURNS tsquery
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(string_agg(quote_literal(w) || ':*', ' & '), '')::tsquery
        FROM unnest(cme_words(typed)) AS w $$""",
    # Any of the words, whole (the duplicate check's "a" OR "b").
    """CREATE FUNCTION cme_any_query(typed text) RETURNS tsquery
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(string_agg(quote_literal(w), ' | '), '')::tsquery
        FROM unnest(cme_words(typed)) AS w $$""",
    """CREATE INDEX ix_cases_search ON cases USING gin (
        cme_search_vector(full_name, aka, last_known_address, school, upn))""",
    # SQLite's julianday(), which the reports subtract to count days.
    """CREATE FUNCTION julianday(d date) RETURNS double precision
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (d - DATE '2000-01-01') + 2451544.5 $$""",
    """CREATE FUNCTION julianday(t timestamp) RETURNS double precision
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT extract(epoch FROM t)::double precision / 86400 + 2440587.5 $$""",
    """CREATE FUNCTION julianday(t text) RETURNS double precision
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT julianday(t::timestamp) $$""",
)
PG_SEARCH_DROP = (
    "DROP INDEX IF EXISTS ix_cases_search",
    "DROP FUNCTION IF EXISTS cme_any_query(text)",
    "DROP FUNCTION IF EXISTS cme_prefix_query(text)",
    "DROP FUNCTION IF EXISTS cme_search_vector(text, text, text, text, text)",
    "DROP FUNCTION IF EXISTS cme_words(text)",
    "DROP FUNCTION IF EXISTS julianday(text)",
    "DROP FUNCTION IF EXISTS julianday(timestamp)",
    "DROP FUNCTION IF EXISTS julianday(date)",
)


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _on_postgresql():
        op.execute(PG_NOCASE)
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "families",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_families")),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("backup_file", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
        sa.UniqueConstraint("month", name=op.f("uq_snapshots_month")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200, collation="NOCASE"), nullable=False),
        sa.Column("aka", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("gender", sa.String(length=40), nullable=False),
        sa.Column("ethnicity", sa.String(length=100), nullable=False),
        sa.Column("upn", sa.String(length=13), nullable=False),
        sa.Column("sen_disability", sa.Text(), nullable=False),
        sa.Column("child_in_care", sa.Boolean(), nullable=True),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("last_known_address", sa.Text(), nullable=False),
        sa.Column("school", sa.String(length=200), nullable=False),
        sa.Column("date_last_attended", sa.Date(), nullable=True),
        sa.Column("new_school", sa.String(length=200), nullable=False),
        sa.Column("new_school_start", sa.Date(), nullable=True),
        sa.Column("identification_route", sa.String(length=40), nullable=False),
        sa.Column("identified_by", sa.String(length=200), nullable=False),
        sa.Column("referring_agency", sa.String(length=40), nullable=False),
        sa.Column("reason_missing", sa.String(length=40), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closing_outcome", sa.String(length=40), nullable=False),
        sa.Column("closing_note", sa.Text(), nullable=False),
        sa.Column("current_step", sa.Integer(), nullable=False),
        sa.Column("whereabouts_unknown", sa.Boolean(), nullable=False),
        sa.Column("last_visit_on", sa.Date(), nullable=True),
        sa.Column("next_task_due", sa.Date(), nullable=True),
        sa.Column("escalated_police", sa.Boolean(), nullable=False),
        sa.Column("escalated_social_care", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_cases_family_id_families")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_closed_on", ["closed_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_date_of_birth"), ["date_of_birth"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_family_id"), ["family_id"], unique=False)
        batch_op.create_index("ix_cases_next_task_due", ["next_task_due"], unique=False)
        batch_op.create_index("ix_cases_notified_on", ["notified_on"], unique=False)
        batch_op.create_index("ix_cases_status_name", ["status", "full_name"], unique=False)
        batch_op.create_index("ix_cases_status_step", ["status", "current_step"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_upn"), ["upn"], unique=False)

    op.create_table(
        "addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("moved_in", sa.Date(), nullable=True),
        sa.Column("moved_out", sa.Date(), nullable=True),
        sa.Column("is_last_known", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_addresses_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_addresses_case_id"), ["case_id"], unique=False)

    op.create_table(
        "agency_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_agency_referrals_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_referrals")),
    )
    with op.batch_alter_table("agency_referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agency_referrals_case_id"), ["case_id"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_attachments_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_case_id"), ["case_id"], unique=False)

    op.create_table(
        "carers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("relationship_to_child", sa.String(length=100), nullable=False),
        sa.Column("telephone", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_carers_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carers")),
    )
    with op.batch_alter_table("carers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_carers_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_groups",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_groups_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "group_key", name=op.f("pk_case_groups")),
    )
    with op.batch_alter_table("case_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_groups_group_key"), ["group_key"], unique=False)

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("recommendation", sa.String(length=40), nullable=False),
        sa.Column("decision", sa.String(length=40), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_escalations_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalations_case_id"), ["case_id"], unique=False)

    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_meetings_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetings_case_id"), ["case_id"], unique=False)

    op.create_table(
        "step_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("done_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_step_progress_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_step_progress")),
        sa.UniqueConstraint("case_id", "step", name=op.f("uq_step_progress_case_id")),
    )
    with op.batch_alter_table("step_progress", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_step_progress_case_id"), ["case_id"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("remind_on", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_tasks_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_tasks_open_due", ["done_on", "due_on"], unique=False)

    op.create_table(
        "timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("who_seen", sa.Text(), nullable=False),
        sa.Column("next_step", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_timeline_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline")),
    )
    with op.batch_alter_table("timeline", schema=None) as batch_op:
        batch_op.create_index("ix_timeline_case_when", ["case_id", "occurred_at"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachments.id"],
            name=op.f("fk_referrals_attachment_id_attachments"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_case_id"), ["case_id"], unique=False)

    # ### end Alembic commands ###
    for statement in PG_SEARCH if _on_postgresql() else SEARCH_INDEX:
        op.execute(statement)


def downgrade() -> None:
    if _on_postgresql():
        for statement in PG_SEARCH_DROP:
            op.execute(statement)
    else:
        for name in ("cases_ai", "cases_ad", "cases_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS case_search")
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_case_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("timeline", schema=None) as batch_op:
        batch_op.drop_index("ix_timeline_case_when")

    op.drop_table("timeline")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_open_due")
        batch_op.drop_index(batch_op.f("ix_tasks_case_id"))

    op.drop_table("tasks")
    with op.batch_alter_table("step_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_step_progress_case_id"))

    op.drop_table("step_progress")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetings_case_id"))

    op.drop_table("meetings")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_case_id"))

    op.drop_table("escalations")
    with op.batch_alter_table("case_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_groups_group_key"))

    op.drop_table("case_groups")
    with op.batch_alter_table("carers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carers_case_id"))

    op.drop_table("carers")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_case_id"))

    op.drop_table("attachments")
    with op.batch_alter_table("agency_referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_referrals_case_id"))

    op.drop_table("agency_referrals")
    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_addresses_case_id"))

    op.drop_table("addresses")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_upn"))
        batch_op.drop_index("ix_cases_status_step")
        batch_op.drop_index("ix_cases_status_name")
        batch_op.drop_index("ix_cases_notified_on")
        batch_op.drop_index("ix_cases_next_task_due")
        batch_op.drop_index(batch_op.f("ix_cases_family_id"))
        batch_op.drop_index(batch_op.f("ix_cases_date_of_birth"))
        batch_op.drop_index("ix_cases_closed_on")

    op.drop_table("cases")
    op.drop_table("snapshots")
    op.drop_table("settings")
    op.drop_table("families")
    op.drop_table("audit_log")
    # ### end Alembic commands ###
    if _on_postgresql():
        op.execute('DROP COLLATION IF EXISTS "NOCASE"')
