"""SQA Engage: a self-hosted Sales Qualification Agent."""
