#!/usr/bin/env python
from ketacare.cli import main

if __name__ == "__main__":
    main()
