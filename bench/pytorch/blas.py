"""Which BLAS a PyTorch process runs: the shared objects it mapped, and the
core type OpenBLAS chose (or was told to use through OPENBLAS_CORETYPE).
Import it after torch, which loads the BLAS."""
import ctypes
import os


def blas_in_use():
    """The BLAS/OpenBLAS shared objects this process mapped, resolved."""
    found = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if "blas" in os.path.basename(p).lower():
                found.add(os.path.realpath(p))
    return sorted(found)


def openblas_core():
    """The kernel set OpenBLAS runs (openblas_get_corename: "Haswell", "Zen",
    "SkylakeX", "Prescott", ...), or None when no OpenBLAS is mapped. An
    OPENBLAS_CORETYPE that OpenBLAS does not know is ignored with a warning,
    so this is how to tell whether a forced core type took."""
    for p in blas_in_use():
        if "openblas" in os.path.basename(p).lower():
            lib = ctypes.CDLL(p)  # already mapped: the same handle, nothing loaded twice
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
    return None
