"""outreach and follow-ups: lead country / pause origin / finish time; outbox kind and time zone

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('leads') as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('paused_from', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='reply'))
        batch_op.add_column(sa.Column('tz', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_outbox_agent_sent', ['agent_id', 'sent_at'], unique=False)
    # before: first mails and seller notices were both queued with priority 1; their messages rows tell them apart
    op.execute("UPDATE outbox SET kind = 'first' WHERE message_id IN (SELECT message_id FROM messages WHERE kind = 'first')")
    op.execute("UPDATE outbox SET kind = 'notice' WHERE message_id IN (SELECT message_id FROM messages WHERE kind = 'seller_notice')")


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_index('ix_outbox_agent_sent')
        batch_op.drop_column('tz')
        batch_op.drop_column('kind')
    with op.batch_alter_table('leads') as batch_op:
        batch_op.drop_column('finished_at')
        batch_op.drop_column('paused_from')
        batch_op.drop_column('country')
