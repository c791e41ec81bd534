#pragma once
#include <hdf5.h>

// HDF5 exposes its type ids and property defaults as macros that expand to library globals,
// which Swift cannot import; these one-liners hand them over.
hid_t chdf5_native_uint8(void);
hid_t chdf5_native_int32(void);
hid_t chdf5_native_int64(void);
hid_t chdf5_native_float(void);
hid_t chdf5_c_s1(void);
hid_t chdf5_p_default(void);
hid_t chdf5_s_all(void);
hid_t chdf5_p_dataset_create(void);
hid_t chdf5_p_file_access(void);
unsigned chdf5_acc_trunc(void);
unsigned chdf5_acc_excl(void);
unsigned chdf5_acc_rdonly(void);
hsize_t chdf5_unlimited(void);
size_t chdf5_variable(void);

// Stops HDF5 printing its error stack to stderr; errors are read with chdf5_last_error instead.
void chdf5_silence(void);
// Copies the innermost message of the current thread's error stack (empty when none).
void chdf5_last_error(char *buffer, size_t length);

// Creates (truncating) a file whose first `userblock` bytes are left to the caller (a power of two >= 512).
hid_t chdf5_create_with_userblock(const char *path, hsize_t userblock);
// zlib's CRC-32 (the same polynomial as zip and PNG), continued from `crc` (0 to start).
unsigned long chdf5_crc32(unsigned long crc, const unsigned char *bytes, size_t length);
