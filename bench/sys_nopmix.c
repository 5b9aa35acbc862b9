/*
 * sys_nopmix.c - stands in for sys_pmix.c when configure found no PMIx: the
 * report then says PMIx was not measured, and why.
 */
#include <stdio.h>

#include "bench/bench.h"

double	sys_pmix_init_us = -1;
double	sys_pmix_start_us = -1, sys_pmix_fenced_us = -1;

const struct bench_sys sys_pmix = {
	.name = "PMIx",
	.boot_what = "not built in",
};

int
sys_pmix_preinit(char *err, size_t errlen)
{
	snprintf(err, errlen, "not built in (configure was given "
	    "--without-pmix or found no PMIx development files)");
	return -1;
}

void
sys_pmix_finalize(void)
{
}

const char *
sys_pmix_version(void)
{
	return "absent";
}
