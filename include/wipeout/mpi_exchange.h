#pragma once
// The MPI implementation of RankExchange: an optional component (CMake option WIPEOUT_MPI, library
// wipeout::mpi). Its header names no MPI type, so code that includes it needs no MPI headers.
#include <memory>

#include "wipeout/rank_exchange.h"

namespace wipeout {

/// Initializes MPI when this process was started by an MPI launcher (mpirun, srun) with more than one
/// rank, and returns the exchange over MPI_COMM_WORLD; returns null otherwise (a plain process). MPI is
/// finalized when the returned object is destroyed.
std::unique_ptr<RankExchange> start_mpi_if_launched(int& argc, char**& argv);

}  // namespace wipeout
