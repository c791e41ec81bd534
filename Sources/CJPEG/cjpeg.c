#include "cjpeg.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    cjpeg_info *info;
    char message[CJPEG_MESSAGE_LENGTH];
} error_manager;

struct cjpeg_decoder {
    struct jpeg_decompress_struct cinfo;  // first, so the progress callback can find the decoder
    error_manager err;
    struct jpeg_progress_mgr progress;
    long max_memory;
    int max_scans;
    int started;
    int cmyk;
};

static void on_error(j_common_ptr cinfo) {
    error_manager *e = (error_manager *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
    longjmp(e->jump, 1);
}

// Level -1 is a warning; higher levels are trace output that we never want.
static void on_message(j_common_ptr cinfo, int level) {
    error_manager *e = (error_manager *)cinfo->err;
    if (level >= 0) return;
    cinfo->err->num_warnings++;
    if (e->info) {
        e->info->warnings++;
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) e->info->truncated = 1;
        (*cinfo->err->format_message)(cinfo, e->info->message);
    }
}

static void silent_output(j_common_ptr cinfo) { (void)cinfo; }

static void install_errors(error_manager *e, cjpeg_info *info) {
    jpeg_std_error(&e->base);
    e->base.error_exit = on_error;
    e->base.emit_message = on_message;
    e->base.output_message = silent_output;
    e->info = info;
    e->message[0] = 0;
}

cjpeg_decoder *cjpeg_decoder_create(void) {
    cjpeg_decoder *d = calloc(1, sizeof(cjpeg_decoder));
    if (!d) return NULL;
    install_errors(&d->err, NULL);
    d->cinfo.err = &d->err.base;
    if (setjmp(d->err.jump)) { free(d); return NULL; }
    jpeg_create_decompress(&d->cinfo);
    return d;
}

// libjpeg calls this regularly while it reads entropy-coded data, including while start_decompress
// buffers a progressive file scan after scan.
static void on_progress(j_common_ptr cinfo) {
    cjpeg_decoder *d = (cjpeg_decoder *)cinfo;
    if (d->max_scans > 0 && d->cinfo.input_scan_number > d->max_scans) {
        snprintf(d->err.message, CJPEG_MESSAGE_LENGTH, "more than %d scans (a progressive JPEG this fragmented is corrupt or hostile)",
                 d->max_scans);
        longjmp(d->err.jump, 1);
    }
}

void cjpeg_set_limits(cjpeg_decoder *d, long max_memory, int max_scans) {
    d->max_memory = max_memory > 0 ? max_memory : 0;
    d->max_scans = max_scans > 0 ? max_scans : 0;
}

static int fail(cjpeg_decoder *d, cjpeg_info *info) {
    snprintf(info->message, CJPEG_MESSAGE_LENGTH, "%s", d->err.message);
    jpeg_abort_decompress(&d->cinfo);
    return -1;
}

static int exif_orientation(const uint8_t *p, size_t n) {
    // "Exif\0\0" then a TIFF header; orientation is tag 0x0112 in IFD0.
    if (n < 14 || memcmp(p, "Exif\0\0", 6) != 0) return 0;
    const uint8_t *t = p + 6; size_t tn = n - 6;
    int little = t[0] == 'I' && t[1] == 'I';
    if (!little && !(t[0] == 'M' && t[1] == 'M')) return 0;
    #define U16(o) (little ? (uint32_t)t[o] | (uint32_t)t[(o)+1] << 8 : (uint32_t)t[o] << 8 | (uint32_t)t[(o)+1])
    #define U32(o) (little ? (uint32_t)t[o] | (uint32_t)t[(o)+1] << 8 | (uint32_t)t[(o)+2] << 16 | (uint32_t)t[(o)+3] << 24 \
                           : (uint32_t)t[o] << 24 | (uint32_t)t[(o)+1] << 16 | (uint32_t)t[(o)+2] << 8 | (uint32_t)t[(o)+3])
    uint32_t ifd = U32(4);
    if ((size_t)ifd + 2 > tn) return 0;
    uint32_t entries = U16(ifd);
    for (uint32_t i = 0; i < entries; i++) {
        size_t e = (size_t)ifd + 2 + 12 * (size_t)i;
        if (e + 12 > tn) return 0;
        if (U16(e) == 0x0112) {
            uint32_t v = U16(e + 8);
            return v >= 1 && v <= 8 ? (int)v : 0;
        }
    }
    return 0;
    #undef U16
    #undef U32
}

int cjpeg_read_header(cjpeg_decoder *d, const uint8_t *data, size_t size, int scale_denom, cjpeg_info *info) {
    memset(info, 0, sizeof(*info));
    d->err.info = info;
    if (setjmp(d->err.jump)) return fail(d, info);
    if (size == 0) { snprintf(info->message, CJPEG_MESSAGE_LENGTH, "empty input"); return -1; }
    jpeg_mem_src(&d->cinfo, data, (unsigned long)size);
    d->cinfo.mem->max_memory_to_use = d->max_memory;
    d->progress.progress_monitor = on_progress;
    d->cinfo.progress = &d->progress;
    jpeg_save_markers(&d->cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&d->cinfo, TRUE);
    switch (d->cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: d->cinfo.out_color_space = JCS_GRAYSCALE; info->channels = 1; break;
    case JCS_CMYK: case JCS_YCCK: d->cinfo.out_color_space = JCS_CMYK; d->cmyk = 1; info->channels = 3; break;
    default: d->cinfo.out_color_space = JCS_RGB; info->channels = 3; break;
    }
    if (scale_denom == 2 || scale_denom == 4 || scale_denom == 8) {
        d->cinfo.scale_num = 1;
        d->cinfo.scale_denom = (unsigned int)scale_denom;
    }
    info->source_width = (int)d->cinfo.image_width;
    info->source_height = (int)d->cinfo.image_height;
    jpeg_calc_output_dimensions(&d->cinfo);
    info->width = (int)d->cinfo.output_width;
    info->height = (int)d->cinfo.output_height;
    for (jpeg_saved_marker_ptr m = d->cinfo.marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1) {
            int o = exif_orientation(m->data, m->data_length);
            if (o) { info->exif_orientation = o; break; }
        }
    }
    return 0;
}

int cjpeg_read_pixels(cjpeg_decoder *d, uint8_t *pixels, cjpeg_info *info) {
    d->err.info = info;
    // volatile: it changes between setjmp and a possible longjmp.
    JSAMPROW volatile cmyk_row = NULL;
    if (setjmp(d->err.jump)) { free(cmyk_row); return fail(d, info); }
    jpeg_start_decompress(&d->cinfo);
    size_t width = d->cinfo.output_width;
    size_t stride = width * (size_t)info->channels;
    if (d->cmyk) {
        cmyk_row = malloc(width * 4);
        if (!cmyk_row) { snprintf(info->message, CJPEG_MESSAGE_LENGTH, "out of memory"); jpeg_abort_decompress(&d->cinfo); return -1; }
    }
    while (d->cinfo.output_scanline < d->cinfo.output_height) {
        uint8_t *dst = pixels + (size_t)d->cinfo.output_scanline * stride;
        if (!d->cmyk) {
            JSAMPROW row = dst;
            jpeg_read_scanlines(&d->cinfo, &row, 1);
        } else {
            JSAMPROW row = cmyk_row;
            jpeg_read_scanlines(&d->cinfo, &row, 1);
            // Adobe writes CMYK inverted, so each ink value is already "amount of light" and multiplies with K.
            int inverted = d->cinfo.saw_Adobe_marker;
            for (size_t x = 0; x < width; x++) {
                unsigned c = cmyk_row[4*x], m = cmyk_row[4*x+1], y = cmyk_row[4*x+2], k = cmyk_row[4*x+3];
                if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
                dst[3*x] = (uint8_t)((c * k + 127) / 255);
                dst[3*x+1] = (uint8_t)((m * k + 127) / 255);
                dst[3*x+2] = (uint8_t)((y * k + 127) / 255);
            }
        }
    }
    jpeg_finish_decompress(&d->cinfo);
    free(cmyk_row);
    cmyk_row = NULL;
    return 0;
}

void cjpeg_decoder_destroy(cjpeg_decoder *d) {
    if (!d) return;
    jpeg_destroy_decompress(&d->cinfo);
    free(d);
}

int cjpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                 const uint8_t *app1, size_t app1_length,
                 uint8_t **out, size_t *out_size, char *message) {
    struct jpeg_compress_struct cinfo;
    error_manager err;
    cjpeg_info info;
    memset(&info, 0, sizeof(info));
    install_errors(&err, &info);
    cinfo.err = &err.base;
    unsigned char *buffer = NULL;
    unsigned long size = 0;
    *out = NULL; *out_size = 0;
    if (setjmp(err.jump)) {
        snprintf(message, CJPEG_MESSAGE_LENGTH, "%s", err.message);
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    if (app1 && app1_length > 0) jpeg_write_marker(&cinfo, JPEG_APP0 + 1, app1, (unsigned int)app1_length);
    size_t stride = (size_t)width * (size_t)channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = size;
    return 0;
}

void cjpeg_free(void *p) { free(p); }
