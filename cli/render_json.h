#ifndef DANGAN_CLI_RENDER_JSON_H
#define DANGAN_CLI_RENDER_JSON_H
/*
 * The renderers' three readers of a response's fields, shared by cli/render*.c. A missing
 * or mistyped field reads as "", 0 or false: the server wrote the response, and a renderer
 * prints what is there rather than failing half way through a listing.
 */
#include <jansson.h>

static inline const char *s(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v ? v : "";
}

static inline long long n(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

static inline int b(json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

#endif
