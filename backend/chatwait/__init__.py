"""ChatWait: one prompt, several agents, two ways to wait."""
