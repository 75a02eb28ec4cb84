//! The real cpal capture path, on the one input this headless machine has: ALSA's `null` device,
//! which captures silence (faster than real time, so only content and arrival are checked).
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lm_audio::{AudioError, MicrophoneSource, input_devices};
use lm_core::engines::{AudioSource, CaptureEvent};

#[test]
fn the_null_device_is_listed_with_its_formats() {
    let devices = input_devices().unwrap();
    let null = devices
        .iter()
        .find(|device| device.name == "null")
        .unwrap_or_else(|| panic!("ALSA's null device is not listed: {devices:#?}"));
    assert!(!null.configs.is_empty());
    assert!(
        null.configs
            .iter()
            .any(|config| config.sample_format == "f32")
    );
}

#[test]
fn samples_arrive_through_cpal_as_f32_frames_and_stop_stops_them() {
    let mut source = MicrophoneSource::open("null").unwrap();
    let format = source.format();
    assert!(format.sample_rate > 0 && format.channels > 0, "{format:?}");
    let received = Arc::new(Mutex::new((0_usize, 0_usize, Vec::<String>::new())));
    let sink = Arc::clone(&received);
    source
        .start(Box::new(move |event| {
            let mut sink = sink.lock().unwrap();
            match event {
                CaptureEvent::Frames(samples) => {
                    sink.0 += samples.len();
                    sink.1 += samples.iter().filter(|s| s.abs() > 1e-6).count();
                }
                CaptureEvent::Ended => sink.2.push("ended".into()),
                CaptureEvent::Failed(problem) => sink.2.push(problem.to_owned()),
            }
        }))
        .unwrap();
    let started = Instant::now();
    while received.lock().unwrap().0 < format.sample_rate as usize {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no audio from the null device"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    source.stop();
    let after_stop = received.lock().unwrap().0;
    std::thread::sleep(Duration::from_millis(200));
    let (samples, non_zero, problems) = &*received.lock().unwrap();
    assert_eq!(*samples, after_stop, "samples kept coming after stop");
    assert_eq!(
        samples % usize::from(format.channels),
        0,
        "whole frames only"
    );
    assert_eq!(*non_zero, 0, "the null device captures silence");
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn an_unknown_device_names_the_ones_there_are() {
    let Err(error) = MicrophoneSource::open("no such microphone") else {
        panic!("opened a device that does not exist");
    };
    assert!(matches!(error, AudioError::NoSuchDevice { .. }));
    assert!(error.to_string().contains("null"), "{error}");
}
