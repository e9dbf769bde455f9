// How fast each of the two CPUs runs alone and both together: the measurement behind the
// two-thread slow state of issue 12 (BENCHMARKS.md, "Threads").
//
// Each round times an AVX-512 loop of independent FMAs (registers only, no memory) for SECONDS on
// CPU 0 alone, on CPU 1 alone, then on both at once, each thread pinned to its CPU, and prints the
// rates and, per CPU, the rate together over the rate alone. On two real cores that ratio is
// about 1; where the hypervisor runs the two virtual CPUs on one physical core (two hyperthreads
// of it, or one after the other) it is about 0.5.
//
//   gcc -O2 -pthread bench/vcpu_pair.c -o /tmp/vcpu_pair && /tmp/vcpu_pair [ROUNDS] [SECONDS]
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef struct {
    int cpu;
    double seconds;
    double rate; // 16-lane FMAs per ns
} job_t;

__attribute__((target("avx512f"))) static void *fmas(void *p) {
    job_t *job = p;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(job->cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    __m512 x[8];
    for (int i = 0; i < 8; i++) x[i] = _mm512_set1_ps(1.0f + i * 1e-3f);
    __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    long n = 0;
    double start = now(), t;
    do {
        for (int k = 0; k < 10000; k++)
            for (int i = 0; i < 8; i++) x[i] = _mm512_fmadd_ps(x[i], m, c);
        n += 10000;
    } while ((t = now()) - start < job->seconds);
    float sink = 0;
    for (int i = 0; i < 8; i++) sink += _mm512_reduce_add_ps(x[i]);
    if (sink == 42.0f) puts(""); // keeps the loop
    job->rate = n * 8.0 / (t - start) / 1e9;
    return NULL;
}

// Runs the loop on cpus[0..n) at once; their rates in rates[].
static void run(int n, const int *cpus, double seconds, double *rates) {
    pthread_t threads[2];
    job_t jobs[2];
    for (int i = 0; i < n; i++) {
        jobs[i] = (job_t){cpus[i], seconds, 0};
        pthread_create(&threads[i], NULL, fmas, &jobs[i]);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        rates[i] = jobs[i].rate;
    }
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 40;
    double seconds = argc > 2 ? atof(argv[2]) : 0.2;
    const int cpu0 = 0, cpu1 = 1, both[2] = {0, 1};
    printf("time\talone0\talone1\ttogether0\ttogether1\tratio0\tratio1\n");
    for (int r = 0; r < rounds; r++) {
        double a0, a1, t[2];
        run(1, &cpu0, seconds, &a0);
        run(1, &cpu1, seconds, &a1);
        run(2, both, seconds, t);
        printf("%.3f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\n", now(), a0, a1, t[0], t[1], t[0] / a0,
               t[1] / a1);
        fflush(stdout);
    }
    return 0;
}
