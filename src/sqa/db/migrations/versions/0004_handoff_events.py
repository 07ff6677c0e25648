"""handoff events: written with the decision, delivered to MQTT and the webhook after commit

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('assigned_by', sa.String(length=16), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('mqtt_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('webhook_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_events_agent_id_agents')),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_events_lead_id_leads'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    )
    op.create_index('ix_events_due', 'events', ['next_attempt_at'])
    op.create_index('ix_events_agent_assigned', 'events', ['agent_id', 'assigned_by'])


def downgrade() -> None:
    op.drop_index('ix_events_agent_assigned', table_name='events')
    op.drop_index('ix_events_due', table_name='events')
    op.drop_table('events')
