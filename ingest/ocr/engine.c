/*
 * engine.c — the dg_ocr handle: its cache of Tesseract engines, the OpenCC converter the
 * script comparison uses, and OpenMP kept to the calling thread (dg_ocr_open, dg_ocr_close;
 * ocr_engine_get for the other parts of ingest/ocr/).
 *
 * A dg_ocr keeps a few Tesseract engines, one per language string it has needed (OSD and
 * the single models), because loading a model costs far more than switching between loaded
 * ones; the least recently used one goes when another is needed.
 *
 * It also defines pixWriteMem, so that libtesseract keeps its line images in Leptonica's own
 * serialised form instead of compressing each into a PNG it decodes again at once
 * (ocr_line_image_format).
 */
#include "ocr_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void engine_drop(engine *e)
{
    if (e->api) {
        TessBaseAPIEnd(e->api);
        TessBaseAPIDelete(e->api);
    }
    memset(e, 0, sizeof *e);
}

static dg_status engine_load(dg_ocr *ocr, engine *e, const char *lang, dg_error *err)
{
    TessBaseAPI *api = TessBaseAPICreate();
    if (!api)
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: cannot create a Tesseract engine");
    /* Tesseract reports through tprintf; library code never prints. */
    TessBaseAPISetVariable(api, "debug_file", "/dev/null");
    if (TessBaseAPIInit3(api, ocr->tessdata, lang) != 0) {
        TessBaseAPIDelete(api);
        return dg_error_set(err, DG_ERR_IO, "OCR: cannot load language \"%s\" from %s", lang,
                            ocr->tessdata);
    }
    TessBaseAPISetVariable(api, "debug_file", "/dev/null");
    /* Tesseract reads a line again turned to white on black when its reading was unsure
     * (tessedit_do_invert). A scan's print is dark on light, and on the noisy margins and
     * specks of a page the inverted reading "won" with stray commas and letters: without it
     * the 42 pages of bench/ingest read with 5% less CPU and a few such characters fewer.
     * A line printed white on black is no longer read. */
    TessBaseAPISetVariable(api, "tessedit_do_invert", "0");
    snprintf(e->lang, sizeof e->lang, "%s", lang);
    e->api = api;
    return DG_OK;
}

/* Returns the engine for lang, loading it (and dropping the least recently used) if needed. */
dg_status ocr_engine_get(dg_ocr *ocr, const char *lang, TessBaseAPI **out, dg_error *err)
{
    *out = NULL;
    if (strlen(lang) >= sizeof ocr->engines[0].lang)
        return dg_error_set(err, DG_ERR_USAGE, "OCR: language string too long: %s", lang);
    engine *slot = NULL;
    for (int i = 0; i < MAX_ENGINES; i++) {
        engine *e = &ocr->engines[i];
        if (e->api && strcmp(e->lang, lang) == 0) {
            slot = e;
            break;
        }
        if (!slot || (slot->api && (!e->api || e->last_use < slot->last_use)))
            slot = e;
    }
    if (!slot->api || strcmp(slot->lang, lang) != 0) {
        engine_drop(slot);
        dg_status status = engine_load(ocr, slot, lang, err);
        if (status != DG_OK)
            return status;
    }
    slot->last_use = ++ocr->clock;
    *out = slot->api;
    return DG_OK;
}

/*
 * Keeps OpenMP inside Tesseract to one thread for the calling thread. Tesseract's LSTM code
 * asks for its threads explicitly (num_threads clauses), which overrides
 * omp_set_num_threads(); only the thread limit caps those, and libgomp reads
 * OMP_THREAD_LIMIT once, when it is loaded, before main() runs, so a setenv() in main()
 * comes too late. Allowing no active parallel level (omp_set_max_active_levels(0)) makes
 * every parallel region run on the thread that meets it. Measured on a 2-core machine:
 * dangan ingest of 6 pages took 31 s with OpenMP's threads, 7.7 s without. The functions
 * live in libgomp, which libtesseract pulls in; looking them up at run time keeps dangan's
 * link line free of OpenMP. Without libgomp there is nothing to limit.
 */
static void limit_openmp_threads(void)
{
    void (*set_int)(int) = NULL;
    void *sym = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    memcpy(&set_int, &sym, sizeof set_int);
    if (set_int)
        set_int(1);
    sym = dlsym(RTLD_DEFAULT, "omp_set_max_active_levels");
    memcpy(&set_int, &sym, sizeof set_int);
    if (set_int)
        set_int(0);
}

/*
 * The format Tesseract's own copy of a line image is kept in. Debian's libtesseract 5.3 is
 * built without TESSERACT_IMAGEDATA_AS_PIX, so for every text line it reads (a page's lines
 * and each sample line) ImageData::SetPixInternal stores the line's crop with
 * pixWriteMem(IFF_PNG) and GetPixInternal decodes it again with pixReadMem before the LSTM
 * sees it. The bytes are never written anywhere:
 *   - as PNG, the zlib compression was 7.7% of OCR's CPU on bench/ingest's 42 pages (perf),
 *     and the zlib level is a setting of each image (pixSetZlibCompression), which
 *     Tesseract's crops do not inherit;
 *   - as PNM (session 11), Leptonica writes and reads a greyscale raster one byte per
 *     fwrite()/fread() call: 5% of OCR's CPU (perf with DWARF stacks, 7 bench pages);
 *   - as SPIX, Leptonica's serialised Pix (a header and the raster words, pixReadMem tells
 *     it by its "spix" magic), writing and reading is a copy of the raster.
 * Every one keeps every pixel, so the LSTM reads the same image and the text is byte for byte
 * the same (checked on the tuning batches). Only calls made from inside libtesseract for a
 * PNG are changed; dangan's own PNGs (watermarked pages) are written as before.
 */
int ocr_line_image_format(const void *caller, int format)
{
    if (format != IFF_PNG)
        return format;
    /* _dl_find_object only finds the loaded object an address lies in; dladdr() also
     * searches its symbols, which in libtesseract was 0.36% of OCR's CPU (perf). */
    void *tesseract = dlsym(RTLD_DEFAULT, "TessBaseAPICreate");
    struct dl_find_object from, lib;
    if (!tesseract || _dl_find_object((void *)caller, &from) != 0 ||
        _dl_find_object(tesseract, &lib) != 0)
        return format;
    return from.dlfo_map_start == lib.dlfo_map_start ? IFF_SPIX : format;
}

/*
 * dangan's pixWriteMem, which the dynamic linker binds libtesseract's calls to (a program's
 * own definition comes first): writes libtesseract's line images as SPIX (see
 * ocr_line_image_format) and passes every other call on to Leptonica's pixWriteMem.
 */
l_ok pixWriteMem(l_uint8 **pdata, size_t *psize, PIX *pix, l_int32 format)
{
    if (format == IFF_PNG &&
        ocr_line_image_format(__builtin_return_address(0), format) == IFF_SPIX)
        return pixWriteMemSpix(pdata, psize, pix);
    l_ok (*leptonica)(l_uint8 **, size_t *, PIX *, l_int32) = NULL;
    void *sym = dlsym(RTLD_NEXT, "pixWriteMem");
    memcpy(&leptonica, &sym, sizeof leptonica);
    if (!leptonica)
        return 1;
    return leptonica(pdata, psize, pix, format);
}

dg_status dg_ocr_open(dg_ocr **out, const char *tessdata_dir, dg_error *err)
{
    *out = NULL;
    if (!tessdata_dir || !*tessdata_dir)
        tessdata_dir = getenv("TESSDATA_PREFIX");
    if (!tessdata_dir || !*tessdata_dir)
        tessdata_dir = DG_OCR_DEFAULT_TESSDATA;
    dg_ocr *ocr = calloc(1, sizeof *ocr);
    if (!ocr || !(ocr->tessdata = strdup(tessdata_dir))) {
        free(ocr);
        return dg_error_set(err, DG_ERR_NOMEM, "OCR: out of memory");
    }
    ocr->t2s = (opencc_t)-1;
    limit_openmp_threads();
    ocr->t2s = opencc_open("t2s.json");
    if (ocr->t2s == (opencc_t)-1) {
        dg_ocr_close(ocr);
        return dg_error_set(err, DG_ERR_IO, "OCR: cannot load OpenCC t2s: %s",
                            opencc_error());
    }
    /* OSD is only asked about pages that read neither upright nor upside down, and loading
     * its 10 MB model cost each worker a fifth of a second: the open only checks that it
     * is there, and ocr_orient() loads it the first time a page needs it. */
    char osd[4096];
    snprintf(osd, sizeof osd, "%s/osd.traineddata", tessdata_dir);
    if (access(osd, R_OK) != 0) {
        dg_status status = dg_error_set(err, DG_ERR_IO,
                                        "OCR: cannot load language \"osd\" from %s: %s",
                                        tessdata_dir, strerror(errno));
        dg_ocr_close(ocr);
        return status;
    }
    *out = ocr;
    return DG_OK;
}

void dg_ocr_close(dg_ocr *ocr)
{
    if (!ocr)
        return;
    for (int i = 0; i < MAX_ENGINES; i++)
        engine_drop(&ocr->engines[i]);
    if (ocr->t2s != (opencc_t)-1)
        opencc_close(ocr->t2s);
    free(ocr->tessdata);
    free(ocr);
}
