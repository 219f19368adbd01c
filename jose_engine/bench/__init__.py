"""``jose-engine bench``: how fast your own policy mints, where the time goes, and the peers.

- :mod:`.workload`: what is minted and how it is timed (batches, stages, threads);
- :mod:`.peers`: the same work in PyJWT, joserfc, jwcrypto and python-jose;
- :mod:`.command`: the command line and its report.
"""

from .command import add_parser
from .peers import PEERS, peer_minters
from .workload import Minter, Workload, percentile

__all__ = ["PEERS", "Minter", "Workload", "add_parser", "peer_minters", "percentile"]
