//! `littlemonster devices`: the microphones a recording can use.

use lm_audio::{InputDevice, input_devices};

/// Arguments of `littlemonster devices`.
#[derive(Debug, clap::Args)]
pub struct DevicesArgs {
    /// Print the devices with every supported format as JSON.
    #[arg(long)]
    json: bool,
}

/// Lists the input devices, the default one first.
pub fn run(args: DevicesArgs) -> anyhow::Result<()> {
    let devices = input_devices()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&devices)?);
        return Ok(());
    }
    if devices.is_empty() {
        println!("no input devices found");
    }
    for device in &devices {
        println!(
            "{} {}  ({}){}",
            if device.is_default { "*" } else { " " },
            device.name,
            device.description,
            formats_summary(device)
        );
    }
    Ok(())
}

/// "; 1-2 channels, 8000-48000 Hz, i16 f32" (a device may list hundreds of ranges).
fn formats_summary(device: &InputDevice) -> String {
    let configs = &device.configs;
    let (Some(min_channels), Some(max_channels)) = (
        configs.iter().map(|c| c.channels).min(),
        configs.iter().map(|c| c.channels).max(),
    ) else {
        return String::new();
    };
    let min_rate = configs.iter().map(|c| c.min_sample_rate).min().unwrap_or(0);
    let max_rate = configs.iter().map(|c| c.max_sample_rate).max().unwrap_or(0);
    let mut formats: Vec<&str> = configs.iter().map(|c| c.sample_format.as_str()).collect();
    formats.sort_unstable();
    formats.dedup();
    format!(
        "; {min_channels}-{max_channels} channels, {min_rate}-{max_rate} Hz, {}",
        formats.join(" ")
    )
}
