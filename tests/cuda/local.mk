# CUDA helpers: built with --with-cuda; the test skips without a GPU.
if HAVE_CUDA
check_PROGRAMS += tests/cuda/cuda_test
TESTS += tests/cuda/cuda_test
tests_cuda_cuda_test_SOURCES = tests/cuda/cuda_test.c
tests_cuda_cuda_test_CPPFLAGS = $(TEST_CPPFLAGS) $(CUDA_CPPFLAGS)
tests_cuda_cuda_test_LDADD = libclient/libfastboot-cuda.la $(TEST_LDADD) \
	$(CUDA_LIBS)
else
EXTRA_DIST += tests/cuda/cuda_test.c
endif
