//! Named tensors of a network (parameters and batch-norm running statistics) and their
//! safetensors encoding. Dense weights are written in PyTorch's `[out, in]` layout, so a file
//! loads into `torch.nn.Linear` as is; in memory occam keeps `[in, out]`.

use crate::error::{NnError, Result};
use crate::layer::Layer;
use crate::net::Net;
use crate::param::ParamKind;
use crate::real::Real;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

/// A named f32/f64 tensor in file layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Named<R> {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<R>,
}

fn transpose<R: Real>(w: &[R], rows: usize, cols: usize) -> Vec<R> {
    let mut t = vec![R::zero(); w.len()];
    for i in 0..rows {
        for j in 0..cols {
            t[j * rows + i] = w[i * cols + j];
        }
    }
    t
}

/// Whether a parameter is a dense layer's `[in, out]` matrix (written as `[out, in]`): its
/// weight, or its variational `log sigma2` of the same shape (a convolution's stays in the
/// kernel's layout).
fn is_matrix(kind: ParamKind, dense: bool, shape: &[usize]) -> bool {
    kind == ParamKind::Weight || (kind == ParamKind::Variational && dense && shape.len() == 2)
}

/// The network's tensors in file layout, in layer order.
pub fn net_tensors<R: Real>(net: &Net<R>) -> Vec<Named<R>> {
    let mut out = Vec::new();
    for (i, layer) in net.layers.iter().enumerate() {
        let dense = matches!(layer, Layer::Dense(_));
        for p in layer.params() {
            let (shape, data) = if is_matrix(p.kind, dense, &p.shape) {
                let (r, c) = (p.shape[0], p.shape[1]);
                (vec![c, r], transpose(&p.value, r, c))
            } else {
                (p.shape.clone(), p.value.clone())
            };
            out.push(Named {
                name: p.name.clone(),
                shape,
                data,
            });
        }
        if let Layer::BatchNorm(b) = layer {
            for (what, v) in [
                ("running_mean", &b.running_mean),
                ("running_var", &b.running_var),
            ] {
                out.push(Named {
                    name: format!("layers.{i}.{what}"),
                    shape: vec![v.len()],
                    data: v.clone(),
                });
            }
        }
    }
    out
}

/// Loads tensors (file layout) into a network of the same architecture.
pub fn load_net_tensors<R: Real>(net: &mut Net<R>, tensors: &[Named<R>]) -> Result<()> {
    let find = |name: &str, len: usize| -> Result<&Named<R>> {
        let t = tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| NnError::Model(format!("tensor '{name}' is missing")))?;
        if t.data.len() != len {
            return Err(NnError::Model(format!(
                "tensor '{name}' has {} values, the architecture needs {len}",
                t.data.len()
            )));
        }
        Ok(t)
    };
    for (i, layer) in net.layers.iter_mut().enumerate() {
        let dense = matches!(layer, Layer::Dense(_));
        for p in layer.params_mut() {
            let t = find(&p.name, p.len())?;
            p.value = if is_matrix(p.kind, dense, &p.shape) {
                transpose(&t.data, p.shape[1], p.shape[0])
            } else {
                t.data.clone()
            };
        }
        if let Layer::BatchNorm(b) = layer {
            b.running_mean = find(&format!("layers.{i}.running_mean"), b.dim)?
                .data
                .clone();
            b.running_var = find(&format!("layers.{i}.running_var"), b.dim)?
                .data
                .clone();
        }
    }
    Ok(())
}

fn to_bytes<R: Real>(v: &[R]) -> Vec<u8> {
    let mut b = Vec::with_capacity(std::mem::size_of_val(v));
    for &x in v {
        if std::mem::size_of::<R>() == 4 {
            b.extend_from_slice(&(x.f64() as f32).to_le_bytes());
        } else {
            b.extend_from_slice(&x.f64().to_le_bytes());
        }
    }
    b
}

/// Encodes tensors as safetensors (deterministic: same tensors, same bytes).
pub fn encode<R: Real>(tensors: &[Named<R>]) -> Result<Vec<u8>> {
    encode_with_meta(tensors, None)
}

/// Encodes tensors with one text entry in the safetensors header (`__metadata__`), so that a
/// checkpoint is one file, written and renamed in one step.
pub fn encode_with_meta<R: Real>(
    tensors: &[Named<R>],
    meta: Option<(&str, &str)>,
) -> Result<Vec<u8>> {
    let dtype = if std::mem::size_of::<R>() == 4 {
        Dtype::F32
    } else {
        Dtype::F64
    };
    let bytes: Vec<Vec<u8>> = tensors.iter().map(|t| to_bytes(&t.data)).collect();
    let mut views = Vec::new();
    for (t, b) in tensors.iter().zip(&bytes) {
        let v = TensorView::new(dtype, t.shape.clone(), b)
            .map_err(|e| NnError::Model(format!("tensor '{}': {e:?}", t.name)))?;
        views.push((t.name.clone(), v));
    }
    let meta = meta.map(|(k, v)| std::collections::HashMap::from([(k.to_string(), v.to_string())]));
    safetensors::serialize(views, &meta).map_err(|e| NnError::Model(format!("{e:?}")))
}

/// The header entry `key` of a safetensors file, if present.
pub fn read_meta(bytes: &[u8], key: &str) -> Result<Option<String>> {
    let (_, m) = SafeTensors::read_metadata(bytes)
        .map_err(|e| NnError::Model(format!("not a safetensors file ({e:?})")))?;
    Ok(m.metadata().as_ref().and_then(|h| h.get(key).cloned()))
}

/// Decodes safetensors bytes (F32 or F64 tensors) into `R`.
pub fn decode<R: Real>(bytes: &[u8]) -> Result<Vec<Named<R>>> {
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| NnError::Model(format!("not a safetensors file ({e:?})")))?;
    let mut names: Vec<String> = st.names().into_iter().cloned().collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let t = st
            .tensor(&name)
            .map_err(|e| NnError::Model(format!("tensor '{name}': {e:?}")))?;
        let data: Vec<R> = match t.dtype() {
            Dtype::F32 => t
                .data()
                .chunks_exact(4)
                .map(|c| R::of(f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64))
                .collect(),
            Dtype::F64 => t
                .data()
                .chunks_exact(8)
                .map(|c| R::of(f64::from_le_bytes(c.try_into().expect("8 bytes"))))
                .collect(),
            d => {
                return Err(NnError::Model(format!(
                    "tensor '{name}' has dtype {d:?}; occam reads F32 and F64"
                )))
            }
        };
        out.push(Named {
            name,
            shape: t.shape().to_vec(),
            data,
        });
    }
    Ok(out)
}
