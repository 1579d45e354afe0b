//! The macro that instantiates contract tests once per adapter.

/// Runs each contract case against each adapter, as `mod {adapter} { #[tokio::test] fn {case} }`.
///
/// Every case is an `async fn case(store: Arc<S>)` generic over the port, and every adapter
/// a `async fn make() -> Arc<Adapter>` building a fresh instance (each test gets its own):
///
/// ```ignore
/// contract_suite!([memory => memory_store, dynamodb => dynamo_store] [round_trips, matches_by_phone]);
/// ```
#[macro_export]
macro_rules! contract_suite {
    ([$($adapter:ident => $make:ident),+ $(,)?] $cases:tt) => {
        $( $crate::contract_suite!(@adapter $adapter $make $cases); )+
    };
    (@adapter $adapter:ident $make:ident [$($case:ident),+ $(,)?]) => {
        mod $adapter {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(super::$make().await).await
                }
            )+
        }
    };
}
