//! Microphone capture through cpal (ALSA on Linux, CoreAudio on macOS, WASAPI on Windows), as an
//! [`AudioSource`] for `lm-core`'s recorder.
//!
//! [`input_devices`] lists what can record; [`MicrophoneSource`] opens one in its default
//! format and delivers its samples, whatever their type on the wire, as `f32`.

use std::sync::{Arc, Mutex, PoisonError};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use lm_core::engines::{AudioFormat, AudioSource, CaptureCallback, CaptureEvent, EngineError};

/// A microphone that cannot be listed or opened.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The system has no input device at all.
    #[error("no microphone found: connect one, or check that the sound system is running")]
    NoDevice,
    /// No input device has the requested name.
    #[error("there is no microphone called \"{name}\" (available: {available})")]
    NoSuchDevice {
        /// The name asked for.
        name: String,
        /// The names there are, comma-separated.
        available: String,
    },
    /// The sound system refused an operation.
    #[error("the microphone \"{device}\" cannot {action}: {problem}")]
    Device {
        /// The device's name ("" when listing).
        device: String,
        /// What was attempted.
        action: &'static str,
        /// cpal's explanation.
        problem: String,
    },
}

/// One range of formats an input device supports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InputConfig {
    /// Samples per frame.
    pub channels: u16,
    /// The lowest sample rate in this range, in Hz.
    pub min_sample_rate: u32,
    /// The highest sample rate in this range, in Hz.
    pub max_sample_rate: u32,
    /// The sample type on the wire ("i16", "f32", ...).
    pub sample_format: String,
}

/// An input device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InputDevice {
    /// The sound system's name for it (ALSA's "default", "null", "hw:CARD=PCH,DEV=0", ...),
    /// stable across runs: what [`MicrophoneSource::open`] takes.
    pub name: String,
    /// A human description ("HDA Intel PCH, ALC257 Analog").
    pub description: String,
    /// Whether the system records from it by default.
    pub is_default: bool,
    /// The formats it supports (empty when the system would not say).
    pub configs: Vec<InputConfig>,
}

/// The sound system's own name for `device`.
fn device_name(device: &cpal::Device) -> String {
    device
        .id()
        .map(|id| id.id().to_owned())
        .unwrap_or_else(|_| device.to_string())
}

fn device_description(device: &cpal::Device) -> String {
    device
        .description()
        .map(|description| description.name().to_owned())
        .unwrap_or_else(|_| device.to_string())
}

fn device_error(device: &str, action: &'static str) -> impl FnOnce(cpal::Error) -> AudioError {
    let device = device.to_owned();
    move |error| AudioError::Device {
        device,
        action,
        problem: error.to_string(),
    }
}

/// The input devices of the default sound system, the default one first.
pub fn input_devices() -> Result<Vec<InputDevice>, AudioError> {
    let host = cpal::default_host();
    let default_name = host
        .default_input_device()
        .map(|device| device_name(&device));
    let devices = host
        .input_devices()
        .map_err(device_error("", "be listed"))?;
    let mut listed: Vec<InputDevice> = devices
        .map(|device| {
            let name = device_name(&device);
            let configs = device
                .supported_input_configs()
                .map(|configs| {
                    configs
                        .map(|range| InputConfig {
                            channels: range.channels(),
                            min_sample_rate: range.min_sample_rate(),
                            max_sample_rate: range.max_sample_rate(),
                            sample_format: range.sample_format().to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            InputDevice {
                is_default: default_name.as_deref() == Some(name.as_str()),
                description: device_description(&device),
                name,
                configs,
            }
        })
        .collect();
    listed.sort_by_key(|device| !device.is_default);
    Ok(listed)
}

/// A microphone as an [`AudioSource`], capturing in the device's default format.
pub struct MicrophoneSource {
    name: String,
    device: cpal::Device,
    config: cpal::StreamConfig,
    sample_format: SampleFormat,
    running: Option<Running>,
}

struct Running {
    /// Dropping the stream stops the device.
    _stream: cpal::Stream,
    callback: SharedCallback,
}

/// The recorder's callback, shared by cpal's data and error callbacks.
type SharedCallback = Arc<Mutex<Option<CaptureCallback>>>;

impl MicrophoneSource {
    /// The system's default microphone.
    pub fn open_default() -> Result<Self, AudioError> {
        let device = cpal::default_host()
            .default_input_device()
            .ok_or(AudioError::NoDevice)?;
        Self::with_device(device)
    }

    /// The input device called `name` (as [`input_devices`] lists it, ignoring case; its
    /// description works too).
    pub fn open(name: &str) -> Result<Self, AudioError> {
        let host = cpal::default_host();
        let wanted = name.trim().to_lowercase();
        let mut names = Vec::new();
        for device in host
            .input_devices()
            .map_err(device_error(name, "be listed"))?
        {
            let found = device_name(&device);
            if found.to_lowercase() == wanted
                || device_description(&device).to_lowercase() == wanted
            {
                return Self::with_device(device);
            }
            names.push(found);
        }
        Err(AudioError::NoSuchDevice {
            name: name.to_owned(),
            available: if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            },
        })
    }

    fn with_device(device: cpal::Device) -> Result<Self, AudioError> {
        let name = device_name(&device);
        let supported = device
            .default_input_config()
            .map_err(device_error(&name, "report its format"))?;
        Ok(Self {
            name,
            sample_format: supported.sample_format(),
            config: supported.config(),
            device,
            running: None,
        })
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn build_stream(&self, callback: &SharedCallback) -> Result<cpal::Stream, AudioError> {
        let build = match self.sample_format {
            SampleFormat::I8 => build::<i8>,
            SampleFormat::I16 => build::<i16>,
            SampleFormat::I24 => build::<cpal::I24>,
            SampleFormat::I32 => build::<i32>,
            SampleFormat::I64 => build::<i64>,
            SampleFormat::U8 => build::<u8>,
            SampleFormat::U16 => build::<u16>,
            SampleFormat::U24 => build::<cpal::U24>,
            SampleFormat::U32 => build::<u32>,
            SampleFormat::U64 => build::<u64>,
            SampleFormat::F32 => build::<f32>,
            SampleFormat::F64 => build::<f64>,
            other => {
                return Err(AudioError::Device {
                    device: self.name.clone(),
                    action: "be recorded",
                    problem: format!("its sample format {other} is not supported"),
                });
            }
        };
        build(&self.device, self.config, Arc::clone(callback))
            .map_err(device_error(&self.name, "start"))
    }
}

/// An input stream of `T` samples that hands them to `callback` as `f32`.
fn build<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    callback: SharedCallback,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    let on_error = Arc::clone(&callback);
    let mut converted: Vec<f32> = Vec::new();
    device.build_input_stream::<T, _, _>(
        config,
        move |data: &[T], _| {
            converted.clear();
            converted.extend(data.iter().map(|&sample| sample.to_sample::<f32>()));
            let mut callback = callback.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(on_event) = callback.as_mut() {
                on_event(CaptureEvent::Frames(&converted));
            }
        },
        move |error| {
            let mut callback = on_error.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(on_event) = callback.as_mut() {
                on_event(CaptureEvent::Failed(&error.to_string()));
            }
        },
        None,
    )
}

impl AudioSource for MicrophoneSource {
    fn format(&self) -> AudioFormat {
        AudioFormat {
            sample_rate: self.config.sample_rate,
            channels: self.config.channels,
        }
    }

    fn start(&mut self, on_event: CaptureCallback) -> Result<(), EngineError> {
        self.stop();
        let callback: SharedCallback = Arc::new(Mutex::new(Some(on_event)));
        let stream = self
            .build_stream(&callback)
            .map_err(|error| EngineError::Other(error.to_string()))?;
        stream
            .play()
            .map_err(device_error(&self.name, "start"))
            .map_err(|error| EngineError::Other(error.to_string()))?;
        self.running = Some(Running {
            _stream: stream,
            callback,
        });
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            let Running { _stream, callback } = running;
            // Stop the device first, so no callback is running when the recorder's is dropped.
            drop(_stream);
            callback
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
        }
    }
}

impl Drop for MicrophoneSource {
    fn drop(&mut self) {
        self.stop();
    }
}
