/*
 * web_assets.h — the web interface's stylesheet and script, compiled into the program
 * (no CDN, no build step, nothing to install beside the binary). The script is small and
 * optional: every page works without it.
 */
#ifndef DG_WEB_ASSETS_H
#define DG_WEB_ASSETS_H

#include <stddef.h>

/* The asset at path ("/static/app.css"), its content type and length; NULL if none. */
const char *dg_web_asset(const char *path, const char **content_type, size_t *len);

#endif
