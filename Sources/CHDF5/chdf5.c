#include "chdf5.h"
#include <stdio.h>
#include <string.h>

hid_t chdf5_native_uint8(void) { return H5T_NATIVE_UINT8; }
hid_t chdf5_native_int32(void) { return H5T_NATIVE_INT32; }
hid_t chdf5_native_int64(void) { return H5T_NATIVE_INT64; }
hid_t chdf5_native_float(void) { return H5T_NATIVE_FLOAT; }
hid_t chdf5_c_s1(void) { return H5T_C_S1; }
hid_t chdf5_p_default(void) { return H5P_DEFAULT; }
hid_t chdf5_s_all(void) { return H5S_ALL; }
hid_t chdf5_p_dataset_create(void) { return H5P_DATASET_CREATE; }
hid_t chdf5_p_file_access(void) { return H5P_FILE_ACCESS; }
unsigned chdf5_acc_trunc(void) { return H5F_ACC_TRUNC; }
unsigned chdf5_acc_excl(void) { return H5F_ACC_EXCL; }
unsigned chdf5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
hsize_t chdf5_unlimited(void) { return H5S_UNLIMITED; }
size_t chdf5_variable(void) { return H5T_VARIABLE; }

void chdf5_silence(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

typedef struct { char *buffer; size_t length; } walk_target;

static herr_t keep_message(unsigned n, const H5E_error2_t *e, void *data) {
    walk_target *t = data;
    // The walk starts at the innermost call; its description is the most specific.
    if (n == 0 && e->desc) snprintf(t->buffer, t->length, "%s (in %s)", e->desc, e->func_name ? e->func_name : "?");
    return 0;
}

void chdf5_last_error(char *buffer, size_t length) {
    if (length == 0) return;
    buffer[0] = 0;
    walk_target t = { buffer, length };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_message, &t);
}

#include <zlib.h>

hid_t chdf5_create_with_userblock(const char *path, hsize_t userblock) {
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (fcpl < 0) return -1;
    if (H5Pset_userblock(fcpl, userblock) < 0) { H5Pclose(fcpl); return -1; }
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    return f;
}

unsigned long chdf5_crc32(unsigned long crc, const unsigned char *bytes, size_t length) {
    // zlib takes a uInt length: feed it in pieces that fit.
    while (length > 0) {
        uInt n = length > (1u << 30) ? (1u << 30) : (uInt)length;
        crc = crc32(crc, bytes, n);
        bytes += n;
        length -= n;
    }
    return crc;
}
