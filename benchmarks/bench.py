"""Speed benchmark (also `claims bench`): see pipeline/bench.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
