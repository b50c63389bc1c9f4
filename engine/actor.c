/*
 * actor.c — the role test on an actor (actor.h).
 */
#include "actor.h"

int dg_actor_has_role(const dg_actor *actor, unsigned roles)
{
    return actor && (actor->roles & roles) != 0;
}
