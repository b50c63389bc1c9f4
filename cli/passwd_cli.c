/*
 * passwd_cli.c — reading a new web password on the command line and showing the result.
 */
#include "passwd_cli.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* One line of standard input without its line end; 0 at end of input. */
static int read_line(char *buf, size_t size)
{
    if (!fgets(buf, (int)size, stdin))
        return 0;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 1;
}

/* Asks on the terminal with echo off (the prompt goes to stderr). */
static int ask_hidden(const char *prompt, char *buf, size_t size)
{
    struct termios old, quiet;
    int have_tty = tcgetattr(STDIN_FILENO, &old) == 0;
    fputs(prompt, stderr);
    fflush(stderr);
    if (have_tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    int ok = read_line(buf, size);
    if (have_tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    return ok;
}

static int read_new_password(char *buf, size_t size, char *msg, size_t msg_size)
{
    if (!isatty(STDIN_FILENO)) {
        if (read_line(buf, size))
            return 1;
        snprintf(msg, msg_size, "passwd: no password on standard input");
        return 0;
    }
    char again[1100];
    int ok = ask_hidden("新密码 (new web password): ", buf, size) &&
             ask_hidden("再输一次 (again): ", again, sizeof again);
    if (ok && strcmp(buf, again) != 0) {
        snprintf(msg, msg_size, "passwd: the two passwords differ; nothing changed");
        ok = 0;
    } else if (!ok) {
        snprintf(msg, msg_size, "passwd: no password given");
    }
    sodium_memzero(again, sizeof again);
    return ok;
}

int dg_passwd_cli_fill(const char *cmd, json_t *request, char *msg, size_t msg_size)
{
    if (strcmp(cmd, "passwd") != 0 && strcmp(cmd, "user passwd") != 0)
        return 1;
    char password[1100];
    if (!read_new_password(password, sizeof password, msg, msg_size))
        return 0;
    json_t *args = json_object_get(request, "args");
    if (!args) {
        args = json_object();
        json_object_set_new(request, "args", args);
    }
    int ok = args && json_object_set_new(args, "password", json_string(password)) == 0;
    sodium_memzero(password, sizeof password);
    if (!ok)
        snprintf(msg, msg_size, "passwd: the password is not valid UTF-8, or out of memory");
    return ok;
}

void dg_render_passwd(json_t *r, const dg_render_ctx *ctx)
{
    const char *login = json_string_value(json_object_get(r, "login"));
    fprintf(ctx->out, "已设置 %s 的网页密码；其网页会话均已结束。\n"
                      "web password of %s set; all of its web sessions have ended.\n",
            login ? login : "?", login ? login : "?");
}
