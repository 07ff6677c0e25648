"""messages by agent and kind: the bounce and complaint rates count them (observe/reputation.py)

Revision ID: 0007
Revises: 0006
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_messages_agent_kind', 'messages', ['agent_id', 'kind', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_messages_agent_kind', table_name='messages')
