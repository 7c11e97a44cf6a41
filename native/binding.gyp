{
  "targets": [
    {
      "target_name": "clipcl_native",
      "sources": ["src/addon.cc", "src/pool.cc", "src/kernels.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-O3"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-ffast-math", "-fno-finite-math-only", "-fopenmp-simd", "-D__FAST_MATH__=1", "-Wno-builtin-macro-redefined"],
      "libraries": ["-lopenblas", "-lpthread", "-lmvec", "-lm"]
    },
    {
      "target_name": "gemm_ref",
      "type": "executable",
      "sources": ["src/gemm_ref.c"],
      "cflags": ["-O2"],
      "libraries": ["-lopenblas", "-lpthread", "-lm"]
    }
  ]
}
