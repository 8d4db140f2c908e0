"""The right of reply: a party answers an attribution, with counter-evidence, within a window."""
