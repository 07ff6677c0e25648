"""data at rest: oauth_tokens (encrypted tokens), outbox.raw nullable (purged after retention), messages and outbox by time

Encrypted columns keep their types: ciphertext is ASCII in Text columns, ASCII bytes in
outbox.raw, and one JSON string in the JSON columns (db/crypto.py), so no ALTER TYPE.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'oauth_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=64), nullable=False),
        sa.Column('refresh_token', sa.Text(), nullable=True),
        sa.Column('access_token', sa.Text(), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_oauth_tokens_agent_id_agents'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_tokens')),
        sa.UniqueConstraint('agent_id', 'provider', name='uq_oauth_tokens_agent_provider'),
    )
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.alter_column('raw', existing_type=sa.LargeBinary(), nullable=True)
    op.create_index('ix_messages_created', 'messages', ['created_at'], unique=False)
    op.create_index('ix_outbox_created', 'outbox', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_created', table_name='outbox')
    op.drop_index('ix_messages_created', table_name='messages')
    op.execute("UPDATE outbox SET raw = ''  WHERE raw IS NULL")
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.alter_column('raw', existing_type=sa.LargeBinary(), nullable=False)
    op.drop_table('oauth_tokens')
