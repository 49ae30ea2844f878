use std::process::ExitCode;

fn main() -> ExitCode {
    cloudtwin::cli::main()
}
