#ifndef CMPI_H
#define CMPI_H
#include <stddef.h>

// Open MPI loaded at run time (dlopen "libmpi.so.40"), so the build never needs MPI and a program not
// started by mpirun never loads it. Open MPI handles (MPI_Comm, MPI_Datatype, MPI_Op, MPI_Errhandler) are
// pointers to predefined globals; the one-line accessors below stand in for the mpi.h macros.
typedef void *cmpi_handle;

/// dlopen + dlsym of every function used. 0 on success; otherwise a message in err.
int cmpi_load(char *err, size_t errlen);

cmpi_handle cmpi_comm_world(void);
cmpi_handle cmpi_float(void);
cmpi_handle cmpi_double(void);
cmpi_handle cmpi_op_sum(void);
cmpi_handle cmpi_op_max(void);
cmpi_handle cmpi_errors_return(void);

#define CMPI_SUCCESS 0
#define CMPI_THREAD_SERIALIZED 2
#define CMPI_MAX_ERROR_STRING 256

int cmpi_init_thread(int required, int *provided);
int cmpi_comm_rank(int *rank);
int cmpi_comm_size(int *size);
int cmpi_set_errors_return(void);
/// MPI_Allreduce with MPI_IN_PLACE on MPI_COMM_WORLD.
int cmpi_allreduce_in_place(void *buf, int count, cmpi_handle type, cmpi_handle op);
int cmpi_bcast(void *buf, int count, cmpi_handle type, int root);
int cmpi_barrier(void);
int cmpi_abort(int code);
int cmpi_finalize(void);
/// MPI_Error_string into buf (at least CMPI_MAX_ERROR_STRING bytes).
void cmpi_error_string(int code, char *buf);

#endif
