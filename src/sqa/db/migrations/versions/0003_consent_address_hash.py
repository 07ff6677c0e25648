"""consent log keyed by address hash; plain addresses in consent_addresses

Revision ID: 0003
Revises: 0002
"""
import hashlib

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _hash(address: str) -> str:  # = sqa.consent.store.address_hash (frozen here on purpose)
    return hashlib.sha256(("sqa-consent:" + address.strip().lower()).encode("utf-8")).hexdigest()


def upgrade() -> None:
    op.create_table('consent_addresses',
                    sa.Column('address_hash', sa.String(length=64), nullable=False),
                    sa.Column('address', sa.String(length=320), nullable=False),
                    sa.PrimaryKeyConstraint('address_hash', name=op.f('pk_consent_addresses')))
    with op.batch_alter_table('consent_events') as batch:
        batch.add_column(sa.Column('address_hash', sa.String(length=64), nullable=True))
    conn = op.get_bind()
    events = sa.table('consent_events', sa.column('id', sa.Integer), sa.column('address', sa.String),
                      sa.column('address_hash', sa.String))
    addresses = sa.table('consent_addresses', sa.column('address_hash', sa.String), sa.column('address', sa.String))
    seen: dict[str, str] = {}
    for row_id, address in conn.execute(sa.select(events.c.id, events.c.address)).all():
        digest = _hash(address)
        seen[digest] = address.strip().lower()
        conn.execute(events.update().where(events.c.id == row_id).values(address_hash=digest))
    if seen:
        conn.execute(addresses.insert(), [{"address_hash": h, "address": a} for h, a in seen.items()])
    with op.batch_alter_table('consent_events') as batch:
        batch.drop_index('ix_consent_address')
        batch.drop_column('address')
        batch.alter_column('address_hash', existing_type=sa.String(length=64), nullable=False)
        batch.create_index('ix_consent_hash', ['address_hash', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consent_events') as batch:
        batch.add_column(sa.Column('address', sa.String(length=320), nullable=False, server_default=''))
        batch.drop_index('ix_consent_hash')
        batch.create_index('ix_consent_address', ['address', 'created_at'], unique=False)
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE consent_events SET address = COALESCE((SELECT address FROM consent_addresses "
                         "WHERE consent_addresses.address_hash = consent_events.address_hash), '')"))
    with op.batch_alter_table('consent_events') as batch:
        batch.drop_column('address_hash')
    op.drop_table('consent_addresses')
