"""Session pages, one module per page group: ``session`` (the nurse's screen and its actions),
``board``, ``protocol``, ``at_home``, ``rems``."""
