"""Intake: news articles and field messages read by offline rules into candidate reports, reviewed by people."""
