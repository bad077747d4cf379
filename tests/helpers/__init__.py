"""What several test folders share: tiny runs, fault tools, hostile files, image trees.

Test files import from here, never from each other.
"""
