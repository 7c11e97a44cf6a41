{
  "variables": {
    "blas%": "<!(node ../scripts/detect-blas.mjs)"
  },
  "targets": [
    {
      "target_name": "clipcl_native",
      "sources": ["src/addon.cc", "src/pool.cc", "src/kernels.cc", "src/sgemm.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-O3"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-ffast-math", "-fno-finite-math-only", "-fopenmp-simd", "-D__FAST_MATH__=1", "-Wno-builtin-macro-redefined"],
      "libraries": ["-lpthread"],
      "conditions": [
        ["OS=='linux'", {"libraries": ["-lmvec", "-lm"]}],
        ["OS=='linux' and blas=='openblas'", {"defines": ["CLIPCL_OPENBLAS"], "libraries": ["-lopenblas"]}],
        ["OS=='mac'", {
          "defines": ["CLIPCL_ACCELERATE"],
          "libraries": ["-framework Accelerate"],
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffast-math", "-fno-finite-math-only", "-fopenmp-simd"]
          }
        }]
      ]
    }
  ],
  "conditions": [
    ["OS=='linux' and blas=='openblas'", {
      "targets": [
        {
          "target_name": "gemm_ref",
          "type": "executable",
          "sources": ["src/gemm_ref.c"],
          "cflags": ["-O2"],
          "libraries": ["-lopenblas", "-lpthread", "-lm"]
        }
      ]
    }]
  ]
}
