//! OCR with Debian's Tesseract (English), for pictures of text and scanned PDF pages. Without
//! the `ocr` feature the same functions report that OCR is not available.

use std::path::Path;

use crate::{Context, DocumentError, DocumentReader};

/// Opens a picture (PNG, JPEG, TIFF: the first frame, GIF, BMP, WebP) and reads it by OCR.
#[cfg(feature = "ocr")]
pub(crate) fn open_image(path: &Path, ctx: Context) -> Result<DocumentReader, DocumentError> {
    let bytes = crate::read_whole(path, &ctx.file)?;
    let text = engine::recognize_encoded(&bytes).map_err(|reason| DocumentError::Ocr {
        file: ctx.file.clone(),
        reason,
    })?;
    let page = crate::ExtractedPage {
        number: 1,
        blocks: crate::paragraphs(&text),
        notice: None,
    };
    Ok(DocumentReader::new(
        crate::DocumentKind::Image,
        ctx.title,
        ctx.file,
        None,
        crate::PageSource::Ready(vec![page].into_iter()),
    ))
}

/// Without OCR an image cannot be read.
#[cfg(not(feature = "ocr"))]
pub(crate) fn open_image(_path: &Path, ctx: Context) -> Result<DocumentReader, DocumentError> {
    Err(DocumentError::OcrUnavailable { file: ctx.file })
}

/// The text OCR reads from the pictures of a PDF page, in the order the page lists them.
#[cfg(feature = "ocr")]
pub(crate) fn pdf_page_text(
    document: &lopdf::Document,
    page: lopdf::ObjectId,
    file: &str,
) -> Result<String, DocumentError> {
    let ocr_error = |reason| DocumentError::Ocr {
        file: file.to_owned(),
        reason,
    };
    let images = document.get_page_images(page).unwrap_or_default();
    let mut text = String::new();
    for image in images {
        let recognised = match image_data(document, &image) {
            Some(ImageData::Encoded(bytes)) => engine::recognize_encoded(bytes),
            Some(ImageData::Pixels {
                data,
                bytes_per_pixel,
            }) => engine::recognize_pixels(
                &data,
                i32::try_from(image.width).unwrap_or(0),
                i32::try_from(image.height).unwrap_or(0),
                bytes_per_pixel,
            ),
            // Image encodings Leptonica cannot take (CCITT fax, CMYK, ...) are skipped.
            None => continue,
        }
        .map_err(ocr_error)?;
        if !recognised.trim().is_empty() {
            text.push_str(recognised.trim());
            text.push_str("\n\n");
        }
    }
    Ok(text)
}

/// Without OCR no page is read.
#[cfg(not(feature = "ocr"))]
pub(crate) fn pdf_page_text(
    _document: &lopdf::Document,
    _page: lopdf::ObjectId,
    _file: &str,
) -> Result<String, DocumentError> {
    Ok(String::new())
}

/// A PDF image in a form Tesseract takes.
#[cfg(feature = "ocr")]
enum ImageData<'a> {
    /// A complete image file (JPEG, JPEG 2000).
    Encoded(&'a [u8]),
    /// Raw 8-bit pixels, gray or RGB.
    Pixels { data: Vec<u8>, bytes_per_pixel: i32 },
}

#[cfg(feature = "ocr")]
fn image_data<'a>(
    document: &lopdf::Document,
    image: &lopdf::xobject::PdfImage<'a>,
) -> Option<ImageData<'a>> {
    let filters = image.filters.clone().unwrap_or_default();
    match filters.as_slice() {
        [only] if only == "DCTDecode" || only == "JPXDecode" => {
            return Some(ImageData::Encoded(image.content));
        }
        [] => {}
        [only] if only == "FlateDecode" || only == "LZWDecode" => {}
        _ => return None,
    }
    let stream = document.get_object(image.id).ok()?.as_stream().ok()?;
    let raw = if filters.is_empty() {
        stream.content.clone()
    } else {
        stream.decompressed_content().ok()?
    };
    let width = usize::try_from(image.width).ok()?;
    let height = usize::try_from(image.height).ok()?;
    let pixels = width.checked_mul(height)?;
    match image.bits_per_component {
        Some(8) if raw.len() >= pixels * 3 => Some(ImageData::Pixels {
            data: raw.get(..pixels * 3)?.to_vec(),
            bytes_per_pixel: 3,
        }),
        Some(8) if raw.len() >= pixels => Some(ImageData::Pixels {
            data: raw.get(..pixels)?.to_vec(),
            bytes_per_pixel: 1,
        }),
        Some(1) => {
            // One bit per pixel, rows padded to whole bytes; 1 is white in DeviceGray.
            let row_bytes = width.div_ceil(8);
            let mut gray = Vec::with_capacity(pixels);
            for row in 0..height {
                for column in 0..width {
                    let byte = *raw.get(row * row_bytes + column / 8)?;
                    let bit = (byte >> (7 - column % 8)) & 1;
                    gray.push(if bit == 1 { 255 } else { 0 });
                }
            }
            Some(ImageData::Pixels {
                data: gray,
                bytes_per_pixel: 1,
            })
        }
        _ => None,
    }
}

#[cfg(feature = "ocr")]
mod engine {
    //! Calls into Tesseract. Each call starts a fresh engine (about a tenth of a second), which
    //! keeps the code free of shared C state.

    use tesseract::Tesseract;

    /// Scanned pages are usually 300 dpi; raw PDF pixels carry no resolution of their own.
    const ASSUMED_DPI: i32 = 300;

    fn engine() -> Result<Tesseract, String> {
        Tesseract::new(None, Some("eng")).map_err(|error| {
            format!(
                "Tesseract could not start ({error}); is its English language data installed \
                 (Debian package tesseract-ocr-eng)?"
            )
        })
    }

    /// Text in a complete image file (PNG, JPEG, TIFF, ...).
    pub(super) fn recognize_encoded(bytes: &[u8]) -> Result<String, String> {
        engine()?
            .set_image_from_mem(bytes)
            .map_err(|error| format!("the picture cannot be decoded ({error})"))?
            .recognize()
            .map_err(|error| error.to_string())?
            .get_text()
            .map_err(|error| error.to_string())
    }

    /// Text in raw 8-bit pixels (1 byte a pixel: gray, 3: RGB).
    pub(super) fn recognize_pixels(
        data: &[u8],
        width: i32,
        height: i32,
        bytes_per_pixel: i32,
    ) -> Result<String, String> {
        engine()?
            .set_frame(
                data,
                width,
                height,
                bytes_per_pixel,
                width * bytes_per_pixel,
            )
            .map_err(|error| format!("the picture cannot be used ({error})"))?
            .set_source_resolution(ASSUMED_DPI)
            .recognize()
            .map_err(|error| error.to_string())?
            .get_text()
            .map_err(|error| error.to_string())
    }
}
