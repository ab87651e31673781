//! The demo data set the dev command seeds, shared so that the three
//! subgraphs' seeds refer to the same users and products.

/// Every demo user's password.
pub const DEMO_PASSWORD: &str = "tessera-demo";

/// A deterministic id in UUIDv7 shape (so it sorts like real ids).
pub fn demo_id(kind: u8, n: u32) -> String {
    format!("01900000-0000-7000-8{kind:03x}-{n:012x}")
}

pub struct DemoUser {
    pub id: String,
    pub email: &'static str,
    pub name: &'static str,
    pub scopes: &'static [&'static str],
}

pub fn users() -> Vec<DemoUser> {
    [
        (
            "admin@tessera.dev",
            "Ada Admin",
            &["inventory:write", "users:read", "analytics:read"][..],
        ),
        ("grace@tessera.dev", "Grace Hopper", &[][..]),
        ("alan@tessera.dev", "Alan Turing", &[][..]),
        ("edsger@tessera.dev", "Edsger Dijkstra", &[][..]),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (email, name, scopes))| DemoUser {
        id: demo_id(1, i as u32 + 1),
        email,
        name,
        scopes,
    })
    .collect()
}

pub struct DemoProduct {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub weight_grams: i32,
    pub warehouse_zone: &'static str,
    pub stock: i32,
}

/// 36 products: every material crossed with every item.
pub fn products() -> Vec<DemoProduct> {
    const MATERIALS: [&str; 6] = ["Oak", "Steel", "Linen", "Granite", "Copper", "Bamboo"];
    const ITEMS: [(&str, i64, i32); 6] = [
        ("Desk", 24_900, 18_000),
        ("Lamp", 5_900, 1_400),
        ("Chair", 12_900, 7_500),
        ("Shelf", 8_900, 9_000),
        ("Mug", 1_900, 350),
        ("Tray", 2_900, 800),
    ];
    const ZONES: [&str; 3] = ["EU-1", "EU-2", "US-1"];
    let mut out = Vec::new();
    for (m, material) in MATERIALS.iter().enumerate() {
        for (i, (item, price, weight)) in ITEMS.iter().enumerate() {
            let n = (m * ITEMS.len() + i) as u32 + 1;
            out.push(DemoProduct {
                id: demo_id(2, n),
                sku: format!(
                    "{}-{}",
                    &material[..3].to_ascii_uppercase(),
                    &item[..3].to_ascii_uppercase()
                ),
                name: format!("{material} {item}"),
                description: format!(
                    "A {} {} from the Tessera demo catalogue.",
                    material.to_lowercase(),
                    item.to_lowercase()
                ),
                price_cents: price + (m as i64) * 500,
                weight_grams: weight + (m as i32) * 50,
                warehouse_zone: ZONES[(n as usize) % ZONES.len()],
                stock: ((n * 7) % 40) as i32,
            });
        }
    }
    out
}

pub struct DemoOrder {
    pub id: String,
    pub user_id: String,
    /// (index into [`products`], quantity)
    pub lines: Vec<(usize, i32)>,
}

pub fn orders() -> Vec<DemoOrder> {
    let users = users();
    let spec: [(usize, &[(usize, i32)]); 5] = [
        (1, &[(0, 1), (4, 2)]),
        (1, &[(10, 1)]),
        (2, &[(7, 3), (13, 1), (22, 2)]),
        (3, &[(29, 1)]),
        (2, &[(4, 4)]),
    ];
    spec.iter()
        .enumerate()
        .map(|(i, (user, lines))| DemoOrder {
            id: demo_id(3, i as u32 + 1),
            user_id: users[*user].id.clone(),
            lines: lines.to_vec(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_ids_are_valid_and_unique() {
        let products = products();
        assert_eq!(products.len(), 36);
        let mut skus: Vec<_> = products.iter().map(|p| p.sku.clone()).collect();
        skus.sort();
        skus.dedup();
        assert_eq!(skus.len(), 36);
        for p in &products {
            assert_eq!(crate::ids::parse_id(&p.id).as_deref(), Some(p.id.as_str()));
        }
        for o in orders() {
            assert!(o.lines.iter().all(|(i, q)| *i < products.len() && *q > 0));
        }
    }
}
