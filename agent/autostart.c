/*
 * Autostart that waits for storage.  VMs with `autostart = yes` start in
 * autostart_order (then name), each autostart_delay seconds after the one
 * before, when the agent starts after a host boot and on `start-all`.  A VM
 * whose disk, ISO or vars directory is not there yet (an encrypted dataset
 * not unlocked) waits for its storage, shown as `waiting_for` in list, and
 * starts by itself when the path appears; the others are not held up.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define AUTOSTART_POLL	2	/* seconds between storage checks */

static struct event	*ev_poll, *ev_next;
static struct vm	**queue;
static int		 nqueue, qpos;

static int
autostart_cmp(const void *a, const void *b)
{
	const struct vm	*va = *(struct vm *const *)a;
	const struct vm	*vb = *(struct vm *const *)b;

	if (va->conf->autostart_order != vb->conf->autostart_order)
		return (va->conf->autostart_order < vb->conf->autostart_order ?
		    -1 : 1);
	return (strcmp(va->name, vb->name));
}

/* Start one VM if its storage is there; else mark it waiting. */
static int
autostart_one(struct vm *vm, json_t *started, json_t *waiting,
    json_t *failed)
{
	const char	*missing;
	char		*cause = NULL;

	if (proto_state_live(vm->state))
		return (0);
	if ((missing = vm_missing_path(vm)) != NULL) {
		if (vm->waiting_for == NULL ||
		    strcmp(vm->waiting_for, missing) != 0) {
			free(vm->waiting_for);
			vm->waiting_for = xstrdup(missing);
			log_info("%s: waiting for its storage: %s does not "
			    "exist yet", vm->name, missing);
			vm_changed(vm);
		}
		if (waiting != NULL) {
			json_t	*w = json_object();

			json_object_set_new(w, PF_NAME, json_string(vm->name));
			json_object_set_new(w, PF_WAITING_FOR,
			    proto_json_string(missing));
			json_array_append_new(waiting, w);
		}
		return (0);
	}
	if (vm->waiting_for != NULL) {
		log_info("%s: storage is there now, starting", vm->name);
		free(vm->waiting_for);
		vm->waiting_for = NULL;
	}
	if (link_start(vm, &cause) == -1) {
		log_warnx("%s", cause);
		if (failed != NULL)
			json_array_append_new(failed, json_string(cause));
		free(cause);
		return (0);
	}
	if (started != NULL)
		json_array_append_new(started, json_string(vm->name));
	return (1);
}

static void	autostart_continue(json_t *, json_t *, json_t *);

static void
autostart_next_cb(evutil_socket_t fd, short what, void *arg)
{
	autostart_continue(NULL, NULL, NULL);
}

/* Walk the queue from qpos, pausing for autostart_delay after a start. */
static void
autostart_continue(json_t *started, json_t *waiting, json_t *failed)
{
	struct timeval	 tv = { 0, 0 };
	struct vm	*vm;

	while (qpos < nqueue) {
		vm = queue[qpos++];
		if (vm == NULL)
			continue;
		if (autostart_one(vm, started, waiting, failed) &&
		    vm->conf->autostart_delay > 0 && qpos < nqueue) {
			tv.tv_sec = vm->conf->autostart_delay;
			evtimer_add(ev_next, &tv);
			return;
		}
	}
}

/* A VM disappears from the registry: drop it from the queue. */
void
autostart_forget(struct vm *vm)
{
	int	i;

	for (i = 0; i < nqueue; i++) {
		if (queue[i] == vm)
			queue[i] = NULL;
	}
}

/*
 * Start the autostart VMs in order.  The result arrays (may be NULL) get
 * the started names, the waiting VMs and the failures of this pass.
 */
void
autostart_run(json_t *started, json_t *waiting, json_t *failed)
{
	struct vm	*vm;
	int		 n = 0;

	free(queue);
	queue = xcalloc(agent->nvms + 1, sizeof *queue);
	TAILQ_FOREACH(vm, &agent->vms, entry) {
		if (vm->conf->autostart && !vm->removed)
			queue[n++] = vm;
	}
	qsort(queue, n, sizeof *queue, autostart_cmp);
	nqueue = n;
	qpos = 0;
	evtimer_del(ev_next);
	autostart_continue(started, waiting, failed);
}

/* Every few seconds: start the waiting VMs whose storage appeared. */
static void
autostart_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vm	*vm, *next;

	TAILQ_FOREACH_SAFE(vm, &agent->vms, entry, next) {
		if (vm->waiting_for == NULL)
			continue;
		if (!vm->conf->autostart || vm->removed) {
			free(vm->waiting_for);
			vm->waiting_for = NULL;
			vm_changed(vm);
			continue;
		}
		autostart_one(vm, NULL, NULL, NULL);
	}
}

/*
 * At agent start: autostart once per host boot.  The run directory is on
 * /var/run, which is emptied at boot, so a marker there tells a host boot
 * from an agent restart (which must not start VMs the user stopped).
 */
void
autostart_init(void)
{
	struct timeval	 tv = { AUTOSTART_POLL, 0 };
	char		*marker;

	ev_next = evtimer_new(agent->base, autostart_next_cb, NULL);
	ev_poll = event_new(agent->base, -1, EV_PERSIST, autostart_poll_cb,
	    NULL);
	evtimer_add(ev_poll, &tv);
	xasprintf(&marker, "%s/autostarted", agent->rundir);
	if (!path_exists(marker)) {
		if (write_file_atomic(marker, "", 0, 0644) == -1)
			log_warn("%s", marker);
		autostart_run(NULL, NULL, NULL);
	}
	free(marker);
	platform_check_shutdown_budget();
}
