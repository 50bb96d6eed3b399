// Measures the heap a piece of code allocates: the largest single allocation and the peak of bytes
// outstanding while it ran. Uses the sanitizer allocator's hooks (the debug build runs under ASan); the
// hooks are weak symbols, and a build without them reports available() == false.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

extern "C" {
__attribute__((weak)) int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                                        size_t),
                                                                    void (*free_hook)(const volatile void*));
__attribute__((weak)) size_t __sanitizer_get_allocated_size(const volatile void* p);
__attribute__((weak)) int __sanitizer_get_ownership(const volatile void* p);
}

namespace berth::testing {

struct AllocationReport {
  size_t largest = 0;  // bytes of the largest single allocation
  size_t peak = 0;     // most bytes outstanding (allocated and not yet freed) at any moment
};

class AllocWatch {
 public:
  static bool available() { return __sanitizer_install_malloc_and_free_hooks != nullptr; }

  // Runs `fn` and reports what it allocated. Only one watch at a time; other threads' allocations
  // while it runs are counted too (tests run it on a quiet process).
  static AllocationReport During(const std::function<void()>& fn) {
    static bool installed = [] {
      if (!available()) return false;
      __sanitizer_install_malloc_and_free_hooks(&OnMalloc, &OnFree);
      return true;
    }();
    (void)installed;
    Current() = 0;
    Largest() = 0;
    Peak() = 0;
    Active() = true;
    fn();
    Active() = false;
    return AllocationReport{Largest().load(), Peak().load()};
  }

 private:
  static std::atomic<bool>& Active() {
    static std::atomic<bool> v{false};
    return v;
  }
  static std::atomic<long long>& Current() {
    static std::atomic<long long> v{0};
    return v;
  }
  static std::atomic<size_t>& Largest() {
    static std::atomic<size_t> v{0};
    return v;
  }
  static std::atomic<size_t>& Peak() {
    static std::atomic<size_t> v{0};
    return v;
  }
  static void OnMalloc(const volatile void*, size_t size) {
    if (!Active().load(std::memory_order_relaxed)) return;
    const long long now = Current().fetch_add(static_cast<long long>(size)) + static_cast<long long>(size);
    size_t seen = Largest().load();
    while (size > seen && !Largest().compare_exchange_weak(seen, size)) {
    }
    size_t peak = Peak().load();
    while (now > 0 && static_cast<size_t>(now) > peak && !Peak().compare_exchange_weak(peak, now)) {
    }
  }
  static void OnFree(const volatile void* p) {
    if (!Active().load(std::memory_order_relaxed) || __sanitizer_get_allocated_size == nullptr) return;
    if (__sanitizer_get_ownership != nullptr && !__sanitizer_get_ownership(p)) return;
    Current().fetch_sub(static_cast<long long>(__sanitizer_get_allocated_size(p)));
  }
};

}  // namespace berth::testing
