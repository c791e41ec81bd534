#include "cpng.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cpng_decoder {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size, offset;
    cpng_info *out;
};

static void on_error(png_structp png, png_const_charp msg) {
    cpng_info *out = png_get_error_ptr(png);
    if (out) snprintf(out->message, CPNG_MESSAGE_LENGTH, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    cpng_info *out = png_get_error_ptr(png);
    if (!out) return;
    out->warnings++;
    snprintf(out->message, CPNG_MESSAGE_LENGTH, "%s", msg);
}

static void read_memory(png_structp png, png_bytep dst, size_t n) {
    cpng_decoder *d = png_get_io_ptr(png);
    if (n > d->size - d->offset) png_error(png, "data ends early (truncated file)");
    memcpy(dst, d->data + d->offset, n);
    d->offset += n;
}

cpng_decoder *cpng_decoder_create(const uint8_t *data, size_t size) {
    cpng_decoder *d = calloc(1, sizeof(cpng_decoder));
    if (!d) return NULL;
    d->data = data; d->size = size;
    return d;
}

int cpng_read_header(cpng_decoder *d, int mode, cpng_info *info) {
    memset(info, 0, sizeof(*info));
    d->out = info;
    if (d->size < 8 || png_sig_cmp(d->data, 0, 8) != 0) {
        snprintf(info->message, CPNG_MESSAGE_LENGTH, "not a PNG signature");
        return -1;
    }
    d->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, info, on_error, on_warning);
    if (!d->png) { snprintf(info->message, CPNG_MESSAGE_LENGTH, "out of memory"); return -1; }
    d->info = png_create_info_struct(d->png);
    if (!d->info) { snprintf(info->message, CPNG_MESSAGE_LENGTH, "out of memory"); return -1; }
    if (setjmp(png_jmpbuf(d->png))) return -1;
    png_set_read_fn(d->png, d, read_memory);
    // Refuse absurd sizes before allocating for them.
    png_set_user_limits(d->png, 1 << 16, 1 << 16);
    png_read_info(d->png, d->info);
    int depth = png_get_bit_depth(d->png, d->info);
    int type = png_get_color_type(d->png, d->info);
    info->file_bit_depth = depth;
    info->file_color_type = type;
    if (mode == CPNG_MODE_INDEX) {
        if (type != PNG_COLOR_TYPE_GRAY && type != PNG_COLOR_TYPE_PALETTE) {
            snprintf(info->message, CPNG_MESSAGE_LENGTH, "expected a single-channel gray or palette PNG, got colour type %d", type);
            return -1;
        }
        if (depth == 16) {
            snprintf(info->message, CPNG_MESSAGE_LENGTH, "expected 8-bit indices, got 16-bit samples");
            return -1;
        }
        if (depth < 8) {
            if (type == PNG_COLOR_TYPE_GRAY) png_set_expand_gray_1_2_4_to_8(d->png);
            else png_set_packing(d->png);
        }
    } else {
        if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(d->png);
        if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(d->png);
        if (png_get_valid(d->png, d->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(d->png);
        if (mode == CPNG_MODE_8BIT) {
            if (depth == 16) png_set_strip_16(d->png);
            if (type == PNG_COLOR_TYPE_GRAY_ALPHA ||
                (type == PNG_COLOR_TYPE_GRAY && png_get_valid(d->png, d->info, PNG_INFO_tRNS)))
                png_set_gray_to_rgb(d->png);
        } else if (depth == 16) {
            // PNG stores big-endian; callers want host order.
            int one = 1;
            if (*(char *)&one) png_set_swap(d->png);
        }
    }
    png_set_interlace_handling(d->png);
    png_read_update_info(d->png, d->info);
    info->width = (int)png_get_image_width(d->png, d->info);
    info->height = (int)png_get_image_height(d->png, d->info);
    info->channels = png_get_channels(d->png, d->info);
    info->bit_depth = png_get_bit_depth(d->png, d->info);
    return 0;
}

int cpng_read_pixels(cpng_decoder *d, uint8_t *pixels, cpng_info *info) {
    d->out = info;
    png_set_error_fn(d->png, info, on_error, on_warning);
    size_t stride = png_get_rowbytes(d->png, d->info);
    png_bytep *rows = malloc(sizeof(png_bytep) * (size_t)info->height);
    if (!rows) { snprintf(info->message, CPNG_MESSAGE_LENGTH, "out of memory"); return -1; }
    for (int y = 0; y < info->height; y++) rows[y] = pixels + (size_t)y * stride;
    // rows is not modified after setjmp, so it is still valid after a longjmp.
    if (setjmp(png_jmpbuf(d->png))) { free(rows); return -1; }
    png_read_image(d->png, rows);
    png_read_end(d->png, NULL);
    free(rows);
    return 0;
}

void cpng_decoder_destroy(cpng_decoder *d) {
    if (!d) return;
    if (d->png) png_destroy_read_struct(&d->png, d->info ? &d->info : NULL, NULL);
    free(d);
}

typedef struct {
    uint8_t *data;
    size_t size, capacity;
    cpng_info info;
} write_buffer;

static void write_memory(png_structp png, png_bytep src, size_t n) {
    write_buffer *b = png_get_io_ptr(png);
    if (b->size + n > b->capacity) {
        size_t cap = b->capacity ? b->capacity : 4096;
        while (cap < b->size + n) cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p) png_error(png, "out of memory");
        b->data = p; b->capacity = cap;
    }
    memcpy(b->data + b->size, src, n);
    b->size += n;
}

static void flush_memory(png_structp png) { (void)png; }

int cpng_encode(const uint8_t *pixels, int width, int height, int channels, int bit_depth,
                int compression_level, uint8_t **out, size_t *out_size, char *message) {
    static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGBA};
    *out = NULL; *out_size = 0;
    if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16)) {
        snprintf(message, CPNG_MESSAGE_LENGTH, "unsupported layout: %d channels, %d bits", channels, bit_depth);
        return -1;
    }
    // Heap-allocated so its contents survive a longjmp untouched.
    write_buffer *b = calloc(1, sizeof(write_buffer));
    png_bytep *rows = malloc(sizeof(png_bytep) * (size_t)(height > 0 ? height : 1));
    if (!b || !rows) { free(b); free(rows); snprintf(message, CPNG_MESSAGE_LENGTH, "out of memory"); return -1; }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &b->info, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        if (png) png_destroy_write_struct(&png, NULL);
        free(b); free(rows);
        snprintf(message, CPNG_MESSAGE_LENGTH, "out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        snprintf(message, CPNG_MESSAGE_LENGTH, "%s", b->info.message);
        png_destroy_write_struct(&png, &info);
        free(b->data); free(b); free(rows);
        return -1;
    }
    png_set_write_fn(png, b, write_memory, flush_memory);
    png_set_compression_level(png, compression_level);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, bit_depth, types[channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    int one = 1;
    if (bit_depth == 16 && *(char *)&one) png_set_swap(png);
    size_t stride = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);
    for (int y = 0; y < height; y++) rows[y] = (png_bytep)(pixels + (size_t)y * stride);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    *out = b->data;
    *out_size = b->size;
    free(b);
    return 0;
}

void cpng_free(void *p) { free(p); }
