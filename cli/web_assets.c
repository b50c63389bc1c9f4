/*
 * web_assets.c — app.css and app.js.
 */
#include "web_assets.h"

#include <string.h>

static const char CSS[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",\"PingFang SC\",sans-serif;"
    "margin:0;color:#222;background:#f7f7f5}\n"
    "header{background:#7a1f1f;color:#fff;padding:.5em 1em;display:flex;flex-wrap:wrap;"
    "align-items:center;gap:1em}\n"
    "header a{color:#fff}.app{font-weight:bold;font-size:1.2em}\n"
    "nav{display:flex;gap:1em;align-items:center;flex-wrap:wrap}.who{opacity:.85}\n"
    ".langs{margin-left:auto;display:flex;gap:.6em;font-size:.9em}\n"
    "main{padding:1em 2em;max-width:1200px}\n"
    "form.inline{display:inline}\n"
    ".search .box input{width:60%;font-size:1.1em;padding:.3em}\n"
    ".filters{display:flex;flex-wrap:wrap;gap:.8em;margin:.6em 0}\n"
    "input.year{width:5em}input.short{width:8em}input.date{width:10em}\n"
    ".results{display:flex;gap:2em}.facets{min-width:12em}.facets ul{list-style:none;padding:0}\n"
    ".count{color:#777}.hits{padding-left:1.2em}.hit{margin:.8em 0}\n"
    ".hit .title{font-weight:bold}.meta{color:#555;font-size:.9em}\n"
    "mark{background:#ffe08a}.ref{font-family:monospace}\n"
    "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .5em;"
    "text-align:left;vertical-align:top}table.meta th{background:#eee}\n"
    "pre.text{white-space:pre-wrap;background:#fff;border:1px solid #ddd;padding:1em}\n"
    ".pages figure{margin:1em 0}img.page{max-width:100%;border:1px solid #999}\n"
    ".error{color:#a00}.ok{color:#070}.note{color:#555}.hold{color:#a60;font-weight:bold}\n"
    "form.login label{display:block;margin:.5em 0}\n"
    "table.log td{font-size:.85em;max-width:30em;overflow-wrap:anywhere}\n"
    ".paging{margin:1em 0}\n";

/* Filters apply when a select changes (the form still has its button without script); an
 * upload's page polls its status and reloads when the batch is filed. */
static const char JS[] =
    "document.addEventListener('DOMContentLoaded',function(){\n"
    "  document.querySelectorAll('form.search select').forEach(function(s){\n"
    "    s.addEventListener('change',function(){s.form.submit();});\n"
    "  });\n"
    "  var st=document.getElementById('upload-state');\n"
    "  if(st){var bar=document.getElementById('upload-progress');\n"
    "    var poll=function(){fetch(st.dataset.status,{credentials:'same-origin'})\n"
    "      .then(function(r){return r.json();}).then(function(j){\n"
    "        if(j.state!=='running'){location.reload();return;}\n"
    "        if(j.total>0){bar.max=j.total;bar.value=j.done;}\n"
    "        st.textContent=st.dataset.label+' '+j.done+' / '+j.total;\n"
    "        setTimeout(poll,1000);}).catch(function(){setTimeout(poll,3000);});};\n"
    "    setTimeout(poll,500);}\n"
    "});\n";

const char *dg_web_asset(const char *path, const char **content_type, size_t *len)
{
    if (!strcmp(path, "/static/app.css")) {
        *content_type = "text/css; charset=utf-8";
        *len = sizeof CSS - 1;
        return CSS;
    }
    if (!strcmp(path, "/static/app.js")) {
        *content_type = "text/javascript; charset=utf-8";
        *len = sizeof JS - 1;
        return JS;
    }
    return NULL;
}
