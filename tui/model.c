/*
 * The VM list the full screen shows, kept current from the agent's list
 * reply and events.  No curses here: sorting, filtering, local uptime.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "xmalloc.h"
#include "util.h"
#include "tui.h"

static int	model_cmp_name(const struct model_vm *,
		    const struct model_vm *);
static int	model_cmp_state(const struct model_vm *,
		    const struct model_vm *);
static int	model_cmp_vcpus(const struct model_vm *,
		    const struct model_vm *);
static int	model_cmp_memory(const struct model_vm *,
		    const struct model_vm *);
static int	model_cmp_uptime(const struct model_vm *,
		    const struct model_vm *);

const struct model_sort_entry model_sorts[MODEL_NSORTS] = {
	[SORT_NAME] = { "name", model_cmp_name },
	[SORT_STATE] = { "state", model_cmp_state },
	[SORT_VCPUS] = { "vcpus", model_cmp_vcpus },
	[SORT_MEMORY] = { "memory", model_cmp_memory },
	[SORT_UPTIME] = { "uptime", model_cmp_uptime },
};

void
model_init(struct model *m)
{
	memset(m, 0, sizeof *m);
	m->sort = SORT_NAME;
}

static void
model_clear(struct model *m)
{
	size_t	i;

	for (i = 0; i < m->nvms; i++) {
		proto_vm_info_clear(&m->vms[i]->info);
		json_decref(m->vms[i]->extra);
		free(m->vms[i]);
	}
	m->nvms = 0;
	m->norder = 0;
}

void
model_free(struct model *m)
{
	model_clear(m);
	free(m->vms);
	free(m->order);
	free(m->filter);
	memset(m, 0, sizeof *m);
}

struct model_vm *
model_find(const struct model *m, const char *name)
{
	size_t	i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < m->nvms; i++) {
		if (strcmp(m->vms[i]->info.name, name) == 0)
			return (m->vms[i]);
	}
	return (NULL);
}

/*
 * Add or replace one VM from its wire object.  0, or -1 with *cause
 * when the object does not decode.
 */
int
model_update(struct model *m, const json_t *o, double now, char **cause)
{
	struct vm_info	 info;
	struct model_vm	*vm;

	memset(&info, 0, sizeof info);
	if (proto_vm_from_json(o, &info, cause) == -1)
		return (-1);
	if ((vm = model_find(m, info.name)) != NULL) {
		proto_vm_info_clear(&vm->info);
		json_decref(vm->extra);
	} else {
		if (m->nvms == m->size) {
			m->size = m->size == 0 ? 16 : m->size * 2;
			m->vms = xreallocarray(m->vms, m->size,
			    sizeof *m->vms);
			m->order = xreallocarray(m->order, m->size,
			    sizeof *m->order);
		}
		vm = xcalloc(1, sizeof *vm);
		m->vms[m->nvms++] = vm;
	}
	vm->info = info;
	vm->stamp = now;
	vm->extra = json_deep_copy(o);
	model_refresh(m);
	return (0);
}

/* Replace everything with the VMs of a list reply. */
int
model_set_list(struct model *m, const json_t *vms, double now, char **cause)
{
	const json_t	*o;
	size_t		 i;

	model_clear(m);
	for (i = 0; i < json_array_size(vms); i++) {
		o = json_array_get(vms, i);
		if (model_update(m, o, now, cause) == -1)
			return (-1);
	}
	model_refresh(m);
	return (0);
}

void
model_remove(struct model *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->nvms; i++) {
		if (strcmp(m->vms[i]->info.name, name) != 0)
			continue;
		proto_vm_info_clear(&m->vms[i]->info);
		json_decref(m->vms[i]->extra);
		free(m->vms[i]);
		memmove(&m->vms[i], &m->vms[i + 1],
		    (m->nvms - i - 1) * sizeof *m->vms);
		m->nvms--;
		break;
	}
	model_refresh(m);
}

/* Uptime now: what the agent said plus the time since it said it. */
long long
model_uptime(const struct model_vm *vm, double now)
{
	if (vm->info.uptime_s < 0)
		return (-1);
	if (vm->info.state != VM_RUNNING || now < vm->stamp)
		return (vm->info.uptime_s);
	return (vm->info.uptime_s + (long long)(now - vm->stamp));
}

/* Does the VM match the filter (name, state or ISO, any case)? */
int
model_match(const struct model *m, const struct model_vm *vm)
{
	const char	*f = m->filter;

	if (f == NULL || *f == '\0')
		return (1);
	if (strcasestr(vm->info.name, f) != NULL)
		return (1);
	if (strcasecmp(proto_state_name(vm->info.state), f) == 0)
		return (1);
	if (vm->info.iso != NULL && strcasestr(format_iso(vm->info.iso), f))
		return (1);
	return (0);
}

static int
model_cmp_name(const struct model_vm *a, const struct model_vm *b)
{
	return (strcmp(a->info.name, b->info.name));
}

static int
model_cmp_state(const struct model_vm *a, const struct model_vm *b)
{
	/* Running first: what one is usually looking for. */
	static const int rank[VM_NSTATES] = {
		[VM_RUNNING] = 0, [VM_STARTING] = 1, [VM_REBOOTING] = 2,
		[VM_STOPPING] = 3, [VM_FAILED] = 4, [VM_STOPPED] = 5,
	};

	return (rank[a->info.state] - rank[b->info.state]);
}

static int
model_cmp_vcpus(const struct model_vm *a, const struct model_vm *b)
{
	return (b->info.vcpus - a->info.vcpus);
}

static int
model_cmp_memory(const struct model_vm *a, const struct model_vm *b)
{
	return (b->info.memory_mb - a->info.memory_mb);
}

static int
model_cmp_uptime(const struct model_vm *a, const struct model_vm *b)
{
	long long	ua = a->info.uptime_s, ub = b->info.uptime_s;

	return (ua < ub ? 1 : ua > ub ? -1 : 0);
}

static const struct model	*model_sorting;

static int
model_qsort_cb(const void *pa, const void *pb)
{
	const struct model	*m = model_sorting;
	const struct model_vm	*a = m->vms[*(const size_t *)pa];
	const struct model_vm	*b = m->vms[*(const size_t *)pb];
	int			 c;

	c = model_sorts[m->sort].cmp(a, b);
	if (c == 0)
		c = model_cmp_name(a, b);
	return (m->reverse ? -c : c);
}

/* Recompute the shown order (filter, then sort). */
void
model_refresh(struct model *m)
{
	size_t	i;

	m->norder = 0;
	for (i = 0; i < m->nvms; i++) {
		if (model_match(m, m->vms[i]))
			m->order[m->norder++] = i;
	}
	model_sorting = m;
	qsort(m->order, m->norder, sizeof *m->order, model_qsort_cb);
	model_sorting = NULL;
	m->generation++;
}

/* The i-th VM shown, or NULL. */
struct model_vm *
model_shown(const struct model *m, size_t i)
{
	if (i >= m->norder)
		return (NULL);
	return (m->vms[m->order[i]]);
}

/* Where a VM is in the shown order, or -1. */
long
model_index(const struct model *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->norder; i++) {
		if (strcmp(m->vms[m->order[i]]->info.name, name) == 0)
			return ((long)i);
	}
	return (-1);
}

void
model_set_filter(struct model *m, const char *filter)
{
	free(m->filter);
	m->filter = (filter != NULL && *filter != '\0') ? xstrdup(filter) :
	    NULL;
	model_refresh(m);
}

void
model_set_sort(struct model *m, enum model_sort sort, int reverse)
{
	m->sort = sort;
	m->reverse = reverse;
	model_refresh(m);
}

size_t
model_count(const struct model *m, enum vm_state state)
{
	size_t	i, n = 0;

	for (i = 0; i < m->nvms; i++) {
		if (m->vms[i]->info.state == state)
			n++;
	}
	return (n);
}
