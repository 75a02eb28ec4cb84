//! The llm worker (being written).

fn main() {
    let _ = llama_cpp_2::llama_backend::LlamaBackend::init();
}
