"""lead bounce score and attention flag

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('leads') as batch:
        batch.add_column(sa.Column('bounce_score', sa.Float(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('bounce_scored_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('attention', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('leads') as batch:
        batch.drop_column('attention')
        batch.drop_column('bounce_scored_at')
        batch.drop_column('bounce_score')
