"""The Document (one self-evaluation, as data) and its Evaluation against the rule pack."""
