/*
 * actor.h — who is acting: the plain value every engine call is made on behalf of, and
 * whether it holds a role.
 *
 * This is the bottom of the engine's idea of a user: the access log (log.c) records an
 * actor in every entry, so the actor cannot depend on the log. Mapping an OS login to an
 * actor, accounts, and refusing (and logging the refusal of) an actor who lacks a role are
 * one floor up, in user.h.
 */
#ifndef DG_ACTOR_H
#define DG_ACTOR_H

#include <stdint.h>

#include "vocab.h"

/* Who is acting, and from where ("cli" or "socket pid 1234"). A plain value: copy freely. */
typedef struct dg_actor {
    int64_t user_id;
    char login[64];
    char name[128];
    int clearance;
    unsigned roles;
    char origin[64];
} dg_actor;

/* Whether the actor (which may be NULL: nobody) holds any of the roles (dg_role bits). */
int dg_actor_has_role(const dg_actor *actor, unsigned roles);

#endif
