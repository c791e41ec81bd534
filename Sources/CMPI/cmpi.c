#include "cmpi.h"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef int (*init_thread_fn)(int *, char ***, int, int *);
typedef int (*comm_int_fn)(void *, int *);
typedef int (*set_errhandler_fn)(void *, void *);
typedef int (*allreduce_fn)(const void *, void *, int, void *, void *, void *);
typedef int (*bcast_fn)(void *, int, void *, int, void *);
typedef int (*comm_fn)(void *);
typedef int (*abort_fn)(void *, int);
typedef int (*void_fn)(void);
typedef int (*error_string_fn)(int, char *, int *);

static struct {
    void *lib;
    init_thread_fn init_thread;
    comm_int_fn comm_rank, comm_size;
    set_errhandler_fn comm_set_errhandler;
    allreduce_fn allreduce;
    bcast_fn bcast;
    comm_fn barrier;
    abort_fn abort_;
    void_fn finalize;
    error_string_fn error_string;
    void *comm_world, *mpi_float, *mpi_double, *op_sum, *op_max, *errors_return;
} M;

int cmpi_load(char *err, size_t errlen) {
    if (M.lib) return 0;
    // RTLD_GLOBAL: Open MPI's plugins (mca_*.so) resolve libmpi's symbols from the global namespace.
    void *lib = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
    if (!lib) { snprintf(err, errlen, "cannot load libmpi.so.40 (%s); install Open MPI (scripts/setup installs libopenmpi-dev openmpi-bin)", dlerror()); return 1; }
#define SYM(field, name) do { *(void **)&M.field = dlsym(lib, name); \
        if (!M.field) { snprintf(err, errlen, "libmpi.so.40 has no symbol %s (not Open MPI 4?)", name); return 1; } } while (0)
    SYM(init_thread, "MPI_Init_thread");
    SYM(comm_rank, "MPI_Comm_rank");
    SYM(comm_size, "MPI_Comm_size");
    SYM(comm_set_errhandler, "MPI_Comm_set_errhandler");
    SYM(allreduce, "MPI_Allreduce");
    SYM(bcast, "MPI_Bcast");
    SYM(barrier, "MPI_Barrier");
    SYM(abort_, "MPI_Abort");
    SYM(finalize, "MPI_Finalize");
    SYM(error_string, "MPI_Error_string");
    SYM(comm_world, "ompi_mpi_comm_world");
    SYM(mpi_float, "ompi_mpi_float");
    SYM(mpi_double, "ompi_mpi_double");
    SYM(op_sum, "ompi_mpi_op_sum");
    SYM(op_max, "ompi_mpi_op_max");
    SYM(errors_return, "ompi_mpi_errors_return");
#undef SYM
    M.lib = lib;
    return 0;
}

cmpi_handle cmpi_comm_world(void) { return M.comm_world; }
cmpi_handle cmpi_float(void) { return M.mpi_float; }
cmpi_handle cmpi_double(void) { return M.mpi_double; }
cmpi_handle cmpi_op_sum(void) { return M.op_sum; }
cmpi_handle cmpi_op_max(void) { return M.op_max; }
cmpi_handle cmpi_errors_return(void) { return M.errors_return; }

int cmpi_init_thread(int required, int *provided) { return M.init_thread(NULL, NULL, required, provided); }
int cmpi_comm_rank(int *rank) { return M.comm_rank(M.comm_world, rank); }
int cmpi_comm_size(int *size) { return M.comm_size(M.comm_world, size); }
int cmpi_set_errors_return(void) { return M.comm_set_errhandler(M.comm_world, M.errors_return); }
int cmpi_allreduce_in_place(void *buf, int count, cmpi_handle type, cmpi_handle op) {
    return M.allreduce((const void *)1 /* MPI_IN_PLACE */, buf, count, type, op, M.comm_world);
}
int cmpi_bcast(void *buf, int count, cmpi_handle type, int root) { return M.bcast(buf, count, type, root, M.comm_world); }
int cmpi_barrier(void) { return M.barrier(M.comm_world); }
int cmpi_abort(int code) { return M.abort_(M.comm_world, code); }
int cmpi_finalize(void) { return M.finalize(); }
void cmpi_error_string(int code, char *buf) {
    int len = 0;
    buf[0] = 0;
    if (M.error_string(code, buf, &len) != 0) snprintf(buf, CMPI_MAX_ERROR_STRING, "MPI error %d", code);
}
