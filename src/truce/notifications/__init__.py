"""Notifications: records addressed to an organisation (an attribution to answer, a reply filed, ...)."""
